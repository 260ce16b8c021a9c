"""The sound and export parts of a story file: narration voice, music bed, subtitles,
and what is written besides the video (storyboard PDF, webtoon strip, other aspects).

Defaults run offline: the built-in ``voice:scratch`` reads narration as a timing-true
placeholder voice, as ``sketch`` draws placeholder panels.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

EXPORT_ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
"""The extra renders a story can ask for."""


def aspect_frame(size: tuple[int, int], aspect: str) -> tuple[int, int]:
    """The frame of an extra render: the story's shorter side kept, the other side set by
    the aspect (a 1024x576 story gives 576x1024 at 9:16 and 576x576 at 1:1), so a render
    is cropped from the story's pixels and never upscaled past them."""
    a, b = EXPORT_ASPECTS[aspect]
    short = min(size)
    long = short * max(a, b) // min(a, b)
    long -= long % 2
    return (long, short) if a > b else (short, long) if a < b else (short, short)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SoundDef(_Strict):
    voice_model: str = Field(default="voice:scratch", min_length=1, max_length=200)
    voice: str | None = Field(
        default=None,
        max_length=200,
        description="The voice at the provider: an OpenAI voice (alloy, nova, ...), an "
        "ElevenLabs voice id on ModelsLab, a piper voice file.",
    )
    speed: float | None = Field(default=None, ge=0.25, le=4.0)
    music: Path | None = Field(
        default=None, description="A music file (relative to the story file) under the story."
    )
    music_model: str | None = Field(default=None, max_length=200)
    music_prompt: str = Field(default="", max_length=2_000)
    music_volume: float = Field(default=0.35, ge=0, le=2)
    duck: bool = Field(default=True, description="Lower the music while narration plays.")
    fit_narration: bool = Field(
        default=False,
        description="Lengthen shots whose narration is longer than they are (never shorten).",
    )
    subtitles: bool = Field(default=True, description="Write story.srt and story.vtt.")
    burn_captions: bool = Field(default=False, description="Draw the narration on the video.")


class ExportsDef(_Strict):
    storyboard_pdf: bool = True
    webtoon: bool = True
    aspects: list[str] = Field(
        default_factory=list,
        max_length=3,
        description="Extra renders of the same story: any of 16:9, 9:16, 1:1.",
    )

    @field_validator("aspects")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for aspect in value:
            if aspect not in EXPORT_ASPECTS:
                raise ValueError(f"export aspects are {', '.join(EXPORT_ASPECTS)}; not {aspect}")
        if len(set(value)) != len(value):
            raise ValueError("an export aspect is listed twice")
        return value
