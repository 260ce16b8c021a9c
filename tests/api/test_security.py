"""``storyreel serve``: one clear line for a busy port or an open non-loopback bind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.api.security import check_can_serve, hash_key, is_loopback, known_hashes, new_key
from storyreel.cli.app import app
from storyreel.config import Settings
from storyreel.errors import ConfigError

runner = CliRunner()


def test_refuses_a_public_bind_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 5
    assert "refusing to serve on 0.0.0.0 without an API key" in result.output


def test_busy_port_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "data"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 5, result.output
    assert "already in use" in result.output and "Traceback" not in result.output


def test_new_key_is_stored_hashed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = new_key(settings)
    stored = (tmp_path / "data" / "api_keys.txt").read_text()
    assert key not in stored and hash_key(key) in stored
    assert known_hashes(settings) == {hash_key(key)}
    check_can_serve(settings, "0.0.0.0")
    with pytest.raises(ConfigError):
        check_can_serve(Settings(data_dir=tmp_path / "other"), "192.168.1.10")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
