"""The words every layer speaks: what to generate (``Task``, ``GenerationRequest`` and its
references) and the size and aspect arithmetic that maps a request's shape onto what a
model offers.

It sits below catalog, engine, story and the providers so none of them has to import
another to talk about a request: the catalog prices a ``GenerationRequest``, the engine
runs it, a provider translates it. A ``GenerationRequest``'s canonical hash is the cache
key that keeps storyreel from paying twice for the same generation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyreel.ids import content_hash


class Task(StrEnum):
    TEXT_TO_IMAGE = "text-to-image"
    IMAGE_TO_IMAGE = "image-to-image"
    REFERENCE_TO_IMAGE = "reference-to-image"
    INPAINT = "inpaint"
    IMAGE_TO_VIDEO = "image-to-video"
    FIRST_LAST_TO_VIDEO = "first-last-to-video"
    TEXT_TO_VIDEO = "text-to-video"
    CHAT = "chat"
    SPEECH = "speech"

    @property
    def output_kind(self) -> Literal["image", "video", "text", "audio"]:
        if self in VIDEO_TASKS:
            return "video"
        if self is Task.CHAT:
            return "text"
        if self is Task.SPEECH:
            return "audio"
        return "image"


#: The tasks that make a still image from a prompt and optional input images.
IMAGE_TASKS = frozenset({Task.TEXT_TO_IMAGE, Task.IMAGE_TO_IMAGE, Task.REFERENCE_TO_IMAGE})
#: The tasks that make a video clip.
VIDEO_TASKS = frozenset({Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO, Task.TEXT_TO_VIDEO})


class RefRole(StrEnum):
    CHARACTER = "character"
    STYLE = "style"
    INIT_IMAGE = "init_image"
    FIRST_FRAME = "first_frame"
    LAST_FRAME = "last_frame"
    MASK = "mask"


class Reference(BaseModel):
    """An input image, by the SHA-256 of its bytes in the asset store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: RefRole
    asset: str = Field(pattern=r"^[0-9a-f]{64}$")
    mime: str = "image/png"
    name: str | None = None


class ShotCharacter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2_000)


class ShotInfo(BaseModel):
    """Structured shot data beside the prompt. Remote models read the prompt; renderers
    that draw from structure (``sketch``) read this, so the story pipeline never has to
    know which kind of provider it talks to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str = Field(default="", max_length=2_000)
    setting: str = Field(default="", max_length=2_000)
    camera: str = Field(default="", max_length=200)
    style: str = Field(default="", max_length=500)
    label: str = Field(default="", max_length=100)
    characters: tuple[ShotCharacter, ...] = ()


class GenerationRequest(BaseModel):
    """The one unified request every provider accepts.

    ``model`` is written ``provider:model``; ``extra`` passes provider-specific fields
    through untouched (and is part of the cache key, so it changes what is bought).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: Task
    model: str = Field(pattern=r"^[a-z0-9_-]+:.+$", max_length=200)
    prompt: str = Field(default="", max_length=20_000)
    negative_prompt: str = Field(default="", max_length=5_000)
    references: tuple[Reference, ...] = ()
    width: int | None = Field(default=None, ge=64, le=8192)
    height: int | None = Field(default=None, ge=64, le=8192)
    aspect: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{1,2}$")
    count: int = Field(default=1, ge=1, le=16)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    steps: int | None = Field(default=None, ge=1, le=200)
    guidance: float | None = Field(default=None, ge=0, le=50)
    duration: float | None = Field(default=None, gt=0, le=120)
    fps: int | None = Field(default=None, ge=1, le=120)
    resolution: str | None = Field(default=None, max_length=16)
    audio: bool | None = None
    shot: ShotInfo | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _even_video_size(self) -> GenerationRequest:
        if self.task.output_kind == "video":
            for side in (self.width, self.height):
                if side is not None and side % 2:
                    raise ValueError("video width and height must be even numbers")
        return self

    @property
    def provider(self) -> str:
        return self.model.split(":", 1)[0]

    @property
    def model_name(self) -> str:
        return self.model.split(":", 1)[1]

    def refs(self, role: RefRole) -> list[Reference]:
        return [ref for ref in self.references if ref.role is role]

    def cache_key(self) -> str:
        """Canonical hash: two equal requests buy one generation."""
        return content_hash(self.model_dump(mode="json"))


# -- sizes and aspect ratios ---------------------------------------------------------------


def parse_size(size: str) -> tuple[int, int]:
    """``"1024x1536"`` -> ``(1024, 1536)``."""
    w, sep, h = size.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) == 0 or int(h) == 0:
        raise ValueError(f"a size is written WIDTHxHEIGHT, e.g. 1024x1024; got {size!r}")
    return int(w), int(h)


def nearest_size(width: int, height: int, sizes: Sequence[str]) -> str:
    """The listed ``WxH`` size whose aspect ratio is closest to ``width x height``: a model
    with fixed sizes (gpt-image: square, portrait, landscape) renders the nearest one."""
    if not sizes:
        raise ValueError("no sizes to choose from")
    wanted = math.log(width / height)

    def distance(size: str) -> tuple[float, int]:
        w, h = parse_size(size)
        return abs(math.log(w / h) - wanted), abs(w * h - width * height)

    return min(sizes, key=distance)


def parse_aspect(aspect: object) -> tuple[int, int] | None:
    """``"16:9"`` -> ``(16, 9)``; None for anything that is not two positive integers."""
    left, sep, right = str(aspect).partition(":")
    if not sep or not left.isdigit() or not right.isdigit() or not int(left) or not int(right):
        return None
    return int(left), int(right)


def request_shape(req: GenerationRequest) -> tuple[int, int] | None:
    """The wanted width and height (or just their ratio): the explicit size, else the
    aspect; None when the request says nothing about shape."""
    if req.width and req.height:
        return req.width, req.height
    return parse_aspect(req.aspect) if req.aspect else None


def nearest_aspect(width: int, height: int, allowed: Sequence[Any]) -> str:
    """The ``W:H`` option closest to ``width x height``. Compared on a log scale, so 2:1
    and 1:2 are equally far from 1:1; options that are not ratios (``"adaptive"``) are
    never picked."""
    ratios = {str(option): parse_aspect(option) for option in allowed}
    usable = {name: pair for name, pair in ratios.items() if pair}
    if not usable:
        raise ValueError("no aspect ratios to choose from")
    wanted = math.log(width / height)
    return min(usable, key=lambda name: abs(math.log(usable[name][0] / usable[name][1]) - wanted))


def aspect_for(req: GenerationRequest, allowed: Sequence[Any] | None) -> str | None:
    """The aspect ratio to send for ``req`` to a model that takes one of ``allowed``:
    the request's own when offered, else the offered one closest to its shape; None when
    the request says nothing about shape. ``allowed=None`` (a model with free aspect
    ratios) passes the request's aspect through."""
    if allowed is None or req.aspect in allowed:
        return req.aspect
    shape = request_shape(req)
    return nearest_aspect(*shape, allowed) if shape else None


def aspect_size(aspect: object, long_side: int = 1024, *, minimum: int = 8) -> tuple[int, int]:
    """Width and height for a ``"16:9"`` ratio with the long side fixed (square when the
    ratio is missing or malformed); the short side never below ``minimum``."""
    w, h = parse_aspect(aspect) or (1, 1)
    if w >= h:
        return long_side, max(minimum, round(long_side * h / w))
    return max(minimum, round(long_side * w / h)), long_side
