"""The story file: what a writer hands storyreel (YAML or JSON).

Unknown keys are errors (``extra="forbid"``): a typo such as ``charaters:`` must fail loudly,
not silently produce a story without characters.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .schema_sound import ExportsDef, SoundDef

ASPECT_SIZES = {
    "16:9": (1024, 576),
    "9:16": (576, 1024),
    "1:1": (768, 768),
    "4:3": (960, 720),
    "3:4": (720, 960),
    "21:9": (1344, 576),
}


VideoRole = Literal["action", "motion", "cinematic"]
"""What a shot's clip is for (seed 002): fast action, human motion, or a cinematic moment.
With ``render.video_model: by-role`` the role picks the video model (``ROLE_MODELS``,
overridable per role in ``render.video_roles``)."""

BY_ROLE = "by-role"
ROLE_MODELS: dict[str, str] = {
    "action": "aimlapi:minimax/hailuo-2.3-fast",
    "motion": "replicate:bytedance/seedance-1-pro-fast",
    "cinematic": "replicate:google/veo-3.1-fast",
}
"""Seed 002's video models by role: Hailuo for action, Seedance for motion, Veo for
cinematic shots."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CharacterDef(_Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2_000)
    references: list[Path] = Field(default_factory=list, max_length=9)
    reference_scale: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="How strongly an IP-Adapter model follows this character's reference "
        "(or sheet): higher holds the identity tighter, too high copies it.",
    )


class ShotDef(_Strict):
    action: str = Field(min_length=1, max_length=2_000)
    characters: list[str] = Field(default_factory=list)
    setting: str = Field(default="", max_length=2_000)
    camera: str = Field(default="", max_length=200)
    motion: str = Field(default="", max_length=500)
    duration: float | None = Field(default=None, gt=0, le=30)
    image_prompt: str = Field(
        default="",
        max_length=2_000,
        description="What the panel shows, when it should say more than the action; the "
        "characters' descriptions, setting and style are still added.",
    )
    video_role: VideoRole | None = None
    image_model: str | None = Field(default=None, min_length=1, max_length=200)
    video_model: str | None = Field(default=None, min_length=1, max_length=200)
    narration: str = Field(default="", max_length=4_000)
    dialogue: str = Field(default="", max_length=2_000)
    end_on_next: bool = Field(
        default=False,
        description="Animate from this shot's panel to the next one's (a first-last-frame "
        "video model); the clip waits for the next panel.",
    )
    candidates: int | None = Field(
        default=None, ge=1, le=8, description="Panels to draw for this shot (render.candidates)."
    )


class BeatDef(_Strict):
    title: str = Field(default="", max_length=300)
    setting: str = Field(default="", max_length=2_000)
    narration: str = Field(default="", max_length=4_000)
    shots: list[ShotDef] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_narrator(self) -> BeatDef:
        if self.narration and any(shot.narration for shot in self.shots):
            raise ValueError("give narration for the beat or for its shots, not both")
        return self


class RenderDef(_Strict):
    """How to render: models, size, timing. Defaults run offline."""

    image_model: str = Field(default="sketch:previz", min_length=1, max_length=200)
    video_model: str = Field(default="motion:kenburns", min_length=1, max_length=200)
    width: int | None = Field(default=None, ge=64, le=4096)
    height: int | None = Field(default=None, ge=64, le=4096)
    fps: int = Field(default=24, ge=1, le=60)
    duration: float = Field(default=3.0, gt=0, le=30)
    transition_frames: int = Field(default=12, ge=0, le=120)
    video_roles: dict[VideoRole, str] = Field(
        default_factory=dict,
        description="Video model per shot role, over seed 002's (ROLE_MODELS) when "
        "video_model is 'by-role', over video_model otherwise.",
    )
    draft_model: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="When set, 'story run' draws every panel on this cheap model (e.g. "
        "z-image-turbo, sketch:previz) and animates it with draft_video_model; 'story "
        "finalize' redraws chosen shots on image_model and animates them on video_model.",
    )
    draft_video_model: str = Field(default="motion:kenburns", min_length=1, max_length=200)
    failover: Literal["family", "any", "off"] = Field(
        default="family",
        description="When a panel or clip fails for a reason another provider can help "
        "with: 'family' tries the same model at another provider only (every panel keeps "
        "one look), 'any' follows the catalog's whole chain, 'off' never fails over.",
    )

    consistency: Literal["auto", "multi_reference", "ip_adapter", "init_image", "prompt"] = Field(
        default="auto",
        description="How panels hold the characters: 'auto' picks from the image "
        "model's catalog capabilities (story/consistency/strategies.py).",
    )
    sheet_model: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The model that draws character sheets (default: image_model).",
    )
    sheets: Literal["portrait", "turnaround", "off"] = Field(
        default="portrait",
        description="A sheet for each character without a reference image: a portrait, "
        "a front/side/back turnaround, or none (prompt only).",
    )
    strength: float = Field(
        default=0.55,
        gt=0,
        le=1,
        description="Init-image models: how far a panel may move away from its init image.",
    )
    ip_adapter_masks: bool = Field(
        default=False,
        description="IP-Adapter models: confine each character's adapter to its side of "
        "the frame (left to right in the shot's character order).",
    )
    candidates: int = Field(default=1, ge=1, le=8, description="Panels drawn per shot.")
    min_consistency: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Redraw a panel whose identity score is below this, within the budget.",
    )
    max_redraws: int = Field(default=2, ge=0, le=5)
    scorer: str = Field(default="offline", min_length=1, max_length=50)

    @model_validator(mode="after")
    def _both_or_neither(self) -> RenderDef:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither (the aspect decides)")
        for side in (self.width, self.height):
            if side is not None and side % 2:
                raise ValueError(f"video sizes must be even numbers, got {side}")
        return self


class PlanDef(_Strict):
    """How story text becomes shots: the planner (``rules``, offline, or a chat model from
    the catalog) and seed 000's shape, beats x key actions."""

    planner: str = Field(default="rules", min_length=1, max_length=200)
    beats: int | None = Field(default=None, ge=1, le=50)
    key_actions: int | None = Field(default=None, ge=1, le=20)


class StoryDef(_Strict):
    title: str = Field(min_length=1, max_length=300)
    style: str = Field(default="", max_length=500)
    aspect: str = "16:9"
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    characters: list[CharacterDef] = Field(default_factory=list, max_length=50)
    story: str = Field(default="", max_length=100_000)
    beats: list[BeatDef] = Field(default_factory=list, max_length=200)
    render: RenderDef = Field(default_factory=RenderDef)
    plan: PlanDef = Field(default_factory=PlanDef)
    sound: SoundDef = Field(default_factory=SoundDef)
    exports: ExportsDef = Field(default_factory=ExportsDef)
    budget: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=12,
        decimal_places=6,
        description="Most this story may spend in USD, over all its runs (storyreel story "
        "run --budget overrides it).",
    )

    @field_validator("aspect", mode="before")
    @classmethod
    def _quoted_aspect(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 16:9 as the base-60 number 969.
        if isinstance(value, int):
            raise ValueError('write the aspect in quotes, e.g. aspect: "16:9"')
        return value

    @field_validator("aspect")
    @classmethod
    def _known_aspect(cls, value: str) -> str:
        if value not in ASPECT_SIZES:
            raise ValueError(f"aspect must be one of {', '.join(ASPECT_SIZES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StoryDef:
        if not self.story.strip() and not self.beats:
            raise ValueError("a story needs 'story' text or explicit 'beats'")
        names = [c.name.casefold() for c in self.characters]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"character names must be unique; repeated: {', '.join(duplicates)}")
        shots = [shot for beat in self.beats for shot in beat.shots]
        if shots and shots[-1].end_on_next:
            raise ValueError(f"shot {len(shots)} is the last: it has no next panel to end on")
        known = {c.name.casefold(): c.name for c in self.characters}
        number = 0
        for beat_no, beat in enumerate(self.beats, 1):
            for shot in beat.shots:
                number += 1
                for name in shot.characters:
                    if name.casefold() not in known:
                        listed = ", ".join(c.name for c in self.characters) or "none"
                        raise ValueError(
                            f"shot {number} (beat {beat_no}) names unknown character "
                            f"{name!r}; characters are: {listed}"
                        )
        return self

    @property
    def size(self) -> tuple[int, int]:
        if self.render.width is not None and self.render.height is not None:
            return self.render.width, self.render.height
        return ASPECT_SIZES[self.aspect]
