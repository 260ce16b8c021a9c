"""What every benchmark returns, and the helpers several share.

A benchmark is a module in ``bench/`` with ``run() -> list[Result]``: each result is one
figure beside a reference measured in the same run (a direct call, a bare ffmpeg command,
the database's raw commit rate, the first run), so the ratio stays meaningful on any
machine. ``bench/run.py`` finds the modules, prints the table and writes the JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

PG_ADMIN_URL = os.environ.get(
    "STORYREEL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class Result:
    """One figure and its reference. ``ratio`` is value / reference: read it with the
    reference's name (below 1 is faster or smaller than the reference for times and sizes,
    the share of the reference's rate for rates)."""

    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    note: str = ""
    reference_unit: str = ""
    """When the reference is counted in other units (jobs/s beside commits/s)."""

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "reference": self.reference,
            "reference_unit": self.reference_unit or self.unit,
            "reference_name": self.reference_name,
            "ratio": self.ratio,
            "note": self.note,
        }


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def fresh_postgres_database(tag: str) -> Iterator[str]:
    """An empty database on the local PostgreSQL server, dropped afterwards."""
    import psycopg

    from storyreel.ids import new_id

    name = f"storyreel_bench_{tag}_{new_id().lower()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def simulators_elsewhere(
    providers: list[str], *, latency: float, video_latency: float, reuse_renders: bool = False
) -> AsyncIterator[dict[str, str]]:
    """``storyreel simulate`` in a child process; yields the settings (environment) that
    point storyreel at it.

    The providers' work (rendering every PNG and MP4) happens on their machines, not in the
    process that waits for it: simulators in the benchmark's own process would take the
    engine's interpreter lock for that work and bill the provider's time to the engine.
    A child process still shares this machine's cores; ``reuse_renders`` has it render one
    output per shape and serve marked copies (``testing/simulators/replay.py``), which
    leaves the engine's own cost."""
    from storyreel.testing.serve import free_port

    port = free_port()
    command = [sys.executable, "-m", "storyreel", "simulate", "--port", str(port)]
    command += ["--latency", str(latency), "--video-latency", str(video_latency)]
    if reuse_renders:
        command.append("--reuse-renders")
    for name in providers:
        command += ["-p", name]
    child = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, env=os.environ | {"COLUMNS": "1000"}
    )
    assert child.stdout is not None
    env: dict[str, str] = {}
    try:
        # The server listens before it prints its settings, all at once, then stays quiet.
        async with asyncio.timeout(60):
            while not env:
                line = await child.stdout.readline()
                if not line:
                    raise RuntimeError("storyreel simulate ended before it was ready")
                env |= _settings(line)
        with contextlib.suppress(TimeoutError):
            while line := await asyncio.wait_for(child.stdout.readline(), 0.5):
                env |= _settings(line)
        yield env
    finally:
        child.terminate()
        await child.wait()


def _settings(line: bytes) -> dict[str, str]:
    text = line.decode()
    if not text.startswith("export "):
        return {}
    key, _, value = text.removeprefix("export ").strip().partition("=")
    return {key: value}
