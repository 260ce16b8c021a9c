"""Every error is one line: a lost database, and exceptions nobody expected."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from storyreel.cli.common import EXIT_DATABASE_LOST, guard
from storyreel.errors import (
    BudgetExceeded,
    ConfigError,
    InputError,
    NotFound,
    StoryreelError,
)
from tests.e2e.helpers import cli_env, storyreel

SMALL = """
title: Small
characters:
  - {name: Ada, description: yellow coat}
beats:
  - setting: park at noon
    shots:
      - {action: Ada reads., characters: [Ada]}
render: {width: 160, height: 90, fps: 8, duration: 1, transition_frames: 2}
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_lost_database_is_one_line_and_exit_75(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited, guard():
        psycopg.connect(f"postgresql://nobody@127.0.0.1:{_closed_port()}/x", connect_timeout=2)
    assert exited.value.code == EXIT_DATABASE_LOST == 75
    err = capsys.readouterr().err
    assert err.startswith("error: lost the database (connection failed")
    assert err.rstrip().endswith("run the same command again to resume")
    assert len(err.strip().splitlines()) == 1


def test_an_unexpected_error_is_one_line_naming_the_log_with_its_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def deep() -> None:
        raise KeyError("frame")

    with pytest.raises(SystemExit) as exited, guard():
        deep()
    assert exited.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: unexpected KeyError: 'frame' (traceback in ")
    log = Path(err.split("(traceback in ", 1)[1].rstrip(")"))
    assert log.is_relative_to(tmp_path)
    assert "in deep" in log.read_text()


@pytest.mark.slow
def test_the_cli_without_its_database_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(SMALL)
    env = cli_env(
        tmp_path / "data",
        STORYREEL_DATABASE_URL=f"postgresql://nobody@127.0.0.1:{_closed_port()}/x",
        STORYREEL_DATABASE_RETRY_SECONDS="1",
    )
    done = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert done.returncode == EXIT_DATABASE_LOST, done.stdout + done.stderr
    assert done.stderr.startswith("error: lost the database (")
    assert "Traceback" not in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    log = (tmp_path / "data" / "logs" / "storyreel.log").read_text()
    assert "Traceback" in log


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("bad story"), 3),
        (NotFound("no job 'X'"), 4),
        (ConfigError("no API key for provider 'fal'"), 5),
        (BudgetExceeded("over the budget"), 6),
    ],
)
def test_exit_codes_by_kind(
    error: StoryreelError, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited, guard():
        raise error
    assert exited.value.code == code
    assert capsys.readouterr().err.strip() == f"error: {error.message}"
