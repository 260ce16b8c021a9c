"""A busy port, for ``storyreel simulate`` and the webhook listener, is one clear line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyreel.cli.common import EXIT_CONFIG
from tests.e2e.helpers import cli_env, storyreel

pytestmark = pytest.mark.slow


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_simulate_on_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    done = storyreel(
        "simulate", "--port", str(busy_port), env=cli_env(tmp_path / "data"), cwd=tmp_path
    )
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1:{busy_port}: "
        "the port is already in use by another process"
    )
    assert done.stdout == ""


def test_the_webhook_listener_on_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    env = cli_env(tmp_path / "data", STORYREEL_WEBHOOK_LISTEN=f"127.0.0.1:{busy_port}")
    done = storyreel("generate", "image", "-m", "sketch", "-p", "x", env=env, cwd=tmp_path)
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: cannot listen on 127.0.0.1:{busy_port}: "
        "the port is already in use by another process"
    )
    assert "Traceback" not in done.stderr
