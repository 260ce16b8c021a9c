"""``storyreel --help`` stays fast: the command tree imports no engine, store, API or media.

Each command imports what it runs on use, so building the Typer app (every ``--help``,
every usage error) costs only Typer, Rich, pydantic, the settings and the catalog. A new
module-level import of a heavy module in ``storyreel/cli`` fails here; move it into the
command that needs it. Times are not asserted (a loaded machine would make them flaky):
the modules are what make the time.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

import storyreel.cli
from storyreel.cli import loading

HEAVY = (
    "alembic",
    "av",
    "cryptography",
    "dbos",
    "fastapi",
    "fpdf",
    "httpx",
    "numpy",
    "PIL",
    "psycopg",
    "sqlalchemy",
    "starlette",
    "torch",
    "uvicorn",
    "yaml",
    "storyreel.api",
    "storyreel.bulk.plan",
    "storyreel.engine",
    "storyreel.media",
    "storyreel.services.bulk",
    "storyreel.services.subscription",
    "storyreel.store",
    "storyreel.story.pipeline",
    "storyreel.story.runner",
)

_IMPORT = "import json, sys\nimport storyreel.cli.app\nprint(json.dumps(sorted(sys.modules)))"

_RUN = """import json, runpy, sys
sys.argv = ["storyreel", *json.loads(sys.argv[1])]
try:
    runpy.run_module("storyreel", run_name="__main__")
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
print()
print(json.dumps(sorted(sys.modules)))
"""


def _heavy_loaded(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", *argv], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    return [name for name in HEAVY if any(m == name or m.startswith(name + ".") for m in modules)]


def test_importing_the_app_loads_nothing_heavy() -> None:
    assert _heavy_loaded(_IMPORT) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["story", "--help"],
        ["story", "run", "--help"],
        ["cost", "compare", "--help"],
        ["bulk", "--help"],
        ["serve", "--help"],
    ],
)
def test_help_loads_nothing_heavy(args: list[str]) -> None:
    assert _heavy_loaded(_RUN, json.dumps(args)) == []


_STORY_RUN = """import json, sys, tempfile
import storyreel.story.runner
from storyreel.config import Settings
from storyreel.providers.registry import load_registry
load_registry(Settings(data_dir=tempfile.mkdtemp()))
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize(
    "module", ["fpdf", "av", "numpy", "alembic", "uvicorn", "starlette", "cryptography"]
)
def test_a_story_run_loads_what_only_making_things_needs_on_use(module: str) -> None:
    """An unchanged re-run (``story/unchanged.py``) costs about its imports: the runner's
    and every provider plugin's (the engine loads them all when it starts). fpdf2 draws a
    storyboard PDF, PyAV reads media, numpy scores identities, Alembic migrates a schema
    that is behind, uvicorn serves webhooks, cryptography verifies fal's webhook
    signatures: none is needed to find that nothing changed."""
    assert module not in _heavy_loaded(_STORY_RUN)


_COLLECTIONS = """import gc, runpy, sys
full = []
gc.callbacks.append(lambda phase, info: phase == "start" and full.append(info["generation"]))
sys.argv = ["storyreel", "--version"]
try:
    runpy.run_module("storyreel", run_name="__main__")
except SystemExit:
    pass
print(full.count(2), gc.get_freeze_count())
"""


def test_the_command_loads_without_a_full_collection_and_freezes_what_it_loaded() -> None:
    """Loading the command tree with the collector on walked every loaded object at least
    once more for nothing (a full collection during ``storyreel --version``)."""
    done = subprocess.run(
        [sys.executable, "-c", _COLLECTIONS], capture_output=True, text=True, timeout=60
    )
    full, frozen = map(int, done.stdout.splitlines()[-1].split())
    assert full == 0
    assert frozen > 50_000


@pytest.fixture
def as_the_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """This process acts as the ``storyreel`` command; yields the generations collected."""
    monkeypatch.setattr(storyreel.cli, "_in_command", True)
    collected: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        yield collected
    finally:
        gc.callbacks.remove(seen)
        gc.unfreeze()


def test_loading_collects_nothing_then_freezes_it_and_collects_again(
    as_the_command: list[int],
) -> None:
    before = gc.get_freeze_count()
    with loading():
        loaded = [[i] for i in range(50_000)]  # far past every generation's threshold
    assert as_the_command == []
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(loaded)
    afterwards = [[i] for i in range(50_000)]  # the collector runs again
    assert as_the_command != []
    assert len(afterwards) == len(loaded)


def test_loading_leaves_a_disabled_collector_disabled(as_the_command: list[int]) -> None:
    gc.disable()
    try:
        with loading():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_loading_freezes_nothing_outside_the_command() -> None:
    """A process that embeds the CLI (these tests, an application) keeps its collector."""
    before = gc.get_freeze_count()
    with loading():
        [[i] for i in range(1000)]
    assert gc.get_freeze_count() == before
