"""``storyreel models``: every catalog model with its limits and price; the id a user
copies is never cut, whatever the terminal width, and ``--json`` has every field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from storyreel.catalog import Catalog
from storyreel.cli import common
from storyreel.cli.app import app
from storyreel.vocabulary import Task

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables fold cells to the terminal width; give them room to keep ids whole."""
    monkeypatch.setattr(common.console, "_width", 400)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_models_for_a_task_lists_only_those_models() -> None:
    code, out, _ = invoke("models", "--task", "image-to-video")
    assert code == 0, out
    expected = {m.id for m in Catalog.builtin().models(Task.IMAGE_TO_VIDEO)}
    listed = {line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")}
    assert listed == expected
    assert "fal:fal-ai/flux-2-pro/edit" not in out
    assert "sketch:previz" not in out
    assert f"{len(expected)} models for image-to-video" in out
    assert "$0.35 first 5 s + $0.07/extra s" in out


def test_models_lists_everything_with_prices() -> None:
    code, out, _ = invoke("models")
    assert code == 0, out
    assert f"{len(Catalog.builtin())} models" in out
    assert "$0.03 first MP + $0.015/extra MP" in out
    assert "plan Unlimited Premium $199.00/month" in out


def test_models_on_a_narrow_terminal_keeps_every_id_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "_width", 60)
    code, out, err = invoke("models")
    assert code == 0, err
    lines = set(out.splitlines())
    for entry in Catalog.builtin().models(None):
        aliases = f"  ({', '.join(entry.aliases)})" if entry.aliases else ""
        assert f"{entry.id}{aliases}" in lines
    assert "…" not in out
    assert err.strip() == "price sources: a wider terminal, or storyreel models --json"


def test_models_json_has_every_field_and_the_limits() -> None:
    code, out, err = invoke("models", "--task", "image-to-video", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert listed["task"] == "image-to-video"
    entries = {m.id: m for m in Catalog.builtin().models(Task.IMAGE_TO_VIDEO)}
    assert {row["id"] for row in listed["models"]} == set(entries)
    for row in listed["models"]:
        entry = entries[row["id"]]
        assert row["price"] == entry.price.summary()
        assert row["durations"] == [float(d) for d in entry.durations]
        assert row["resolutions"] == list(entry.resolutions)
        assert row["audio"] is entry.audio
        assert row["tasks"] == [str(t) for t in entry.tasks]
        assert row["price_source"] == entry.price_source
