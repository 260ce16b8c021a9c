"""The sound and export parts of a story file: extra renders are cropped from the story's
own pixels (never upscaled, even sizes for the encoder), and bad export or sound settings
are refused with a message that names the allowed values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from storyreel.story.schema_sound import ExportsDef, SoundDef, aspect_frame


@pytest.mark.parametrize(
    ("size", "aspect", "frame"),
    [
        ((1024, 576), "9:16", (576, 1024)),
        ((1024, 576), "1:1", (576, 576)),
        ((1024, 576), "16:9", (1024, 576)),
        ((576, 1024), "16:9", (1024, 576)),
        ((720, 1280), "9:16", (720, 1280)),
        ((601, 999), "16:9", (1068, 601)),  # 601 * 16 / 9 = 1068.4: even, rounded down
    ],
)
def test_aspect_frame_keeps_the_short_side(
    size: tuple[int, int], aspect: str, frame: tuple[int, int]
) -> None:
    assert aspect_frame(size, aspect) == frame
    assert frame[0] % 2 == 0 or frame[1] % 2 == 0


def test_export_aspects_are_known_and_listed_once() -> None:
    assert ExportsDef(aspects=["9:16", "1:1"]).aspects == ["9:16", "1:1"]
    with pytest.raises(ValidationError, match=r"export aspects are 16:9, 9:16, 1:1; not 4:3"):
        ExportsDef(aspects=["4:3"])
    with pytest.raises(ValidationError, match="listed twice"):
        ExportsDef(aspects=["1:1", "1:1"])
    with pytest.raises(ValidationError):
        ExportsDef(aspects=["16:9", "9:16", "1:1", "16:9"])  # more than three


def test_sound_defaults_run_offline_and_limits_hold() -> None:
    sound = SoundDef()
    assert (sound.voice_model, sound.subtitles, sound.burn_captions) == (
        "voice:scratch",
        True,
        False,
    )
    assert SoundDef(voice_model="  openai:tts-1  ").voice_model == "openai:tts-1"
    for bad in ({"speed": 5}, {"music_volume": -0.1}, {"voice_model": " "}, {"volume": 1}):
        with pytest.raises(ValidationError):
            SoundDef.model_validate(bad)
