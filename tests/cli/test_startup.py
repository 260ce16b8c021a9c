"""``storyreel --help`` stays fast: the command tree imports no engine, store, API or media.

Each command imports what it runs on use, so building the Typer app (every ``--help``,
every usage error) costs only Typer, Rich, pydantic, the settings and the catalog. A new
module-level import of a heavy module in ``storyreel/cli`` fails here; move it into the
command that needs it. Times are not asserted (a loaded machine would make them flaky):
the modules are what make the time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "alembic",
    "av",
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


@pytest.mark.parametrize("module", ["fpdf", "av", "numpy", "alembic", "uvicorn", "starlette"])
def test_a_story_run_loads_what_only_making_things_needs_on_use(module: str) -> None:
    """An unchanged re-run (``story/unchanged.py``) costs about its imports. fpdf2 draws a
    storyboard PDF, PyAV reads media, numpy scores identities, Alembic migrates a schema
    that is behind, uvicorn serves webhooks: none is needed to find that nothing changed."""
    code = "import json, sys\nimport storyreel.story.runner\nprint(json.dumps(sorted(sys.modules)))"
    assert module not in _heavy_loaded(code)
