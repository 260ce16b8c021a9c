from __future__ import annotations

import pytest

from storyreel.providers.sketch.frame import (
    CharacterSpec,
    Framing,
    frame_spec_from_prompt,
    framing_from_camera,
)


@pytest.mark.parametrize(
    ("camera", "expected"),
    [
        ("close-up on Mira", Framing.close_up),
        ("Closeup", Framing.close_up),
        ("close up", Framing.close_up),
        ("CU", Framing.close_up),
        ("extreme close-up of the key", Framing.close_up),
        ("portrait", Framing.close_up),
        ("medium", Framing.medium),
        ("mid shot", Framing.medium),
        ("waist-up", Framing.medium),
        ("over the shoulder", Framing.medium),
        ("over-the-shoulder", Framing.medium),
        ("wide shot", Framing.wide),
        ("establishing", Framing.wide),
        ("long shot", Framing.wide),
        ("aerial", Framing.wide),
        ("full shot", Framing.wide),
    ],
)
def test_framing_from_camera(camera: str, expected: Framing) -> None:
    assert framing_from_camera(camera, has_characters=True) is expected
    assert framing_from_camera(camera, has_characters=False) is expected


def test_framing_default_depends_on_characters() -> None:
    assert framing_from_camera("", has_characters=True) is Framing.medium
    assert framing_from_camera("", has_characters=False) is Framing.wide
    assert framing_from_camera("dutch angle", has_characters=False) is Framing.wide
    # "midnight" is not "mid": words, not substrings
    assert framing_from_camera("midnight", has_characters=False) is Framing.wide


def test_prompt_extracts_setting_camera_and_people() -> None:
    prompt = "  close-up of a knight in silver armor at a castle gate at sunset, rain  "
    spec = frame_spec_from_prompt(prompt, width=640, height=360, seed=5)
    assert spec.camera == "close-up"
    assert spec.action == prompt.strip()
    words = spec.setting.split()
    for word in ("castle", "sunset", "rain"):
        assert word in words
    assert "knight" not in words
    assert (spec.width, spec.height, spec.seed) == (640, 360, 5)
    assert [c.name for c in spec.characters] == ["Knight"]
    assert "silver armor" in spec.characters[0].description


def test_prompt_keeps_given_characters_and_ignores_hair_length() -> None:
    mira = CharacterSpec("Mira", "long red hair")
    spec = frame_spec_from_prompt(
        "a woman with long red hair on a beach at night", width=64, height=64, characters=[mira]
    )
    assert spec.characters == (mira,)
    assert spec.camera == ""  # "long" is not a long shot
    assert spec.setting == "beach night"


def test_prompt_without_setting_words() -> None:
    spec = frame_spec_from_prompt("a teapot", width=100, height=100)
    assert spec.setting == ""
    assert spec.characters == ()
    assert spec.action == "a teapot"


def test_prompt_splits_people_into_clauses() -> None:
    spec = frame_spec_from_prompt(
        "a woman in a red dress and an old man with a white beard, wide shot",
        width=100,
        height=100,
    )
    assert spec.camera == "wide shot"
    assert [c.name for c in spec.characters] == ["Woman", "Old Man"]
    assert "red dress" in spec.characters[0].description
    assert "red" not in spec.characters[1].description
