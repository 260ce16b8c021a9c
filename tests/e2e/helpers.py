"""Running the real CLI in subprocesses and reading its SQLite store directly."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYREEL_")}
    env |= {
        "STORYREEL_DATA_DIR": str(data_dir),
        "STORYREEL_POLL_INTERVAL": "0.1",
        "STORYREEL_POLL_INTERVAL_MAX": "0.3",
        "STORYREEL_QUEUE_POLL_INTERVAL": "0.1",
        "COLUMNS": "120",
    }
    return env | extra


def storyreel(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storyreel", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def storyreel_async(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """``storyreel`` without blocking the event loop (one that serves the simulators):
    (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storyreel",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    return proc.returncode or 0, out.decode(), err.decode()


def spawn(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "storyreel", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def query(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    db = data_dir / "storyreel.db"
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []
