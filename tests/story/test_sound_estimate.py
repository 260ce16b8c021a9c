"""Narration and music are priced and checked with the shots, before anything runs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.errors import ConfigError, InputError
from storyreel.story.loader import parse_story
from storyreel.story.narration import fitted_duration, narration_lines, place_lines
from storyreel.story.planner import plan_story
from storyreel.story.requests import estimate_story
from storyreel.vocabulary import GenerationRequest, Task

LINE = "The storm rolls in from the west."


def story(voice_model: str, **sound: str) -> str:
    extra = "".join(f"\n  {k}: {v}" for k, v in sound.items())
    return f"""
title: Priced
beats:
  - narration: "{LINE}"
    shots:
      - {{action: The harbour at dusk, duration: 2}}
      - {{action: The lamp is lit, duration: 2, narration: "oops"}}
sound:
  voice_model: {voice_model}{extra}
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog.load(Settings(data_dir=tmp_path))


def test_a_beat_and_its_shots_cannot_both_narrate() -> None:
    with pytest.raises(InputError, match="narration for the beat or for its shots"):
        parse_story(story("tts-1"), name="s.yaml")


def _story(voice_model: str, **sound: str) -> str:
    return story(voice_model, **sound).replace(', narration: "oops"', "")


def test_voice_jobs_are_priced_per_character_in_the_total(catalog: Catalog) -> None:
    parsed = parse_story(_story("tts-1", voice="nova"), name="s.yaml")
    estimate = estimate_story(catalog, parsed, plan_story(parsed), {})
    assert estimate.errors == []
    assert estimate.sound_usd == Decimal(len(LINE)) * 15 / 1_000_000
    assert estimate.total_usd == estimate.sound_usd  # sketch and motion are free
    [voice] = [r for r in estimate.requests if r.task is Task.SPEECH]
    assert voice.model == "openai:tts-1" and voice.prompt == LINE
    assert voice.extra == {"voice": "nova"}


def test_a_voice_provider_without_its_key_stops_the_run_before_it_starts(
    catalog: Catalog,
) -> None:
    def no_openai_key(req: GenerationRequest) -> None:
        if req.provider == "openai":
            raise ConfigError("provider 'openai' has no API key here")

    parsed = parse_story(_story("tts-1"), name="s.yaml")
    estimate = estimate_story(catalog, parsed, plan_story(parsed), {}, check=no_openai_key)
    assert estimate.errors == ["shot 1: provider 'openai' has no API key here"]
    with pytest.raises(ConfigError):
        estimate.raise_errors("s.yaml")


def test_an_unknown_voice_model_is_named(catalog: Catalog) -> None:
    parsed = parse_story(_story("tts-9"), name="s.yaml")
    estimate = estimate_story(catalog, parsed, plan_story(parsed), {})
    assert len(estimate.errors) == 1 and "unknown model 'tts-9'" in estimate.errors[0]
    assert estimate.total_usd is None


def test_a_music_model_is_a_job_priced_with_the_rest(catalog: Catalog) -> None:
    parsed = parse_story(
        _story("modelslab-voice", music_model="modelslab-music", music_prompt="calm strings"),
        name="s.yaml",
    )
    estimate = estimate_story(catalog, parsed, plan_story(parsed), {})
    models = [r.model for r in estimate.requests if r.task is Task.SPEECH]
    assert models == ["modelslab:eleven_multilingual_v2", "modelslab:music_v1"]
    assert estimate.sound_usd == 0


def test_a_line_longer_than_its_shots_lengthens_them_equally() -> None:
    parsed = parse_story(_story("voice:scratch"), name="s.yaml")
    [line] = narration_lines(parsed)
    assert line.shots == (1, 2)
    assert fitted_duration({1: 2.0, 2: 2.0}, line, 3.0) == {1: 2.0, 2: 2.0}
    assert fitted_duration({1: 2.0, 2: 2.0}, line, 6.0) == {1: 3.25, 2: 3.25}
    spoken = place_lines([line], [6.0], [3.25, 3.25], fps=8, transition_frames=0)
    assert spoken[0].start == 0.25 and spoken[0].end == 6.25


def test_cost_estimate_shows_the_sound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from storyreel.cli.app import app

    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "s.yaml"
    path.write_text(_story("tts-1"))
    result = CliRunner().invoke(app, ["cost", "estimate", "--story", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert Decimal(shown["sound_usd"]) == Decimal(len(LINE)) * 15 / 1_000_000
    assert Decimal(shown["total_usd"]) == Decimal(shown["sound_usd"])
    text = CliRunner().invoke(app, ["cost", "estimate", "--story", str(path)])
    assert "+ sound $0.000495 = total $0.000495" in text.stdout
