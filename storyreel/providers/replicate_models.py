"""Replicate models storyreel knows: how each is addressed (official model endpoint or
community version), which inputs it takes, what its output looks like.

The adapter builds request bodies from this table and the simulator validates them against
the same table, so the two cannot drift apart. Field names, enums and ranges follow the
model schemas in reference/providers-fal-replicate.md, B11; where that section marks a
schema as unconfirmed, the choice is listed in docs/providers/replicate.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from storyreel.vocabulary import Task

Family = Literal[
    "flux_schnell", "flux_dev", "flux_pro", "z_image", "lama", "hailuo", "seedance", "veo"
]
Output = Literal["list", "single"]

LAMA_VERSION = "cdac78a1bec5b23c07fd29692fb70baa513ea403a39e643c48ec5edadb15fe72"
VERSION_ID = re.compile(r"^[0-9a-f]{64}$")

FLUX_ASPECTS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
SEEDANCE_ASPECTS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21")
_FORMATS = {"output_format": ("webp", "jpg", "png")}
_IMAGE_TASKS = frozenset({Task.TEXT_TO_IMAGE})


@dataclass(frozen=True)
class ReplicateModel:
    """One model: ``version`` set means a community model called by version id."""

    ref: str
    family: Family
    kind: Literal["image", "video"]
    tasks: frozenset[Task]
    output: Output
    version: str | None = None
    required: tuple[str, ...] = ("prompt",)
    enums: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    integers: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # inputs that take a URL or data URI
    max_outputs: int = 1
    #: What the adapter sends when the request leaves a field open; kept equal to the
    #: catalog's defaults so what is estimated is what is bought.
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def official(self) -> bool:
        return self.version is None

    @property
    def owner(self) -> str:
        return self.ref.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.ref.split("/", 1)[1]


MODELS: dict[str, ReplicateModel] = {
    m.ref: m
    for m in (
        ReplicateModel(
            "black-forest-labs/flux-schnell",
            "flux_schnell",
            "image",
            _IMAGE_TASKS,
            "list",
            enums={"aspect_ratio": FLUX_ASPECTS, "megapixels": ("1", "0.25")} | _FORMATS,
            ranges={
                "num_outputs": (1, 4),
                "num_inference_steps": (1, 4),
                "output_quality": (0, 100),
            },
            integers=("num_outputs", "num_inference_steps", "output_quality", "seed"),
            max_outputs=4,
        ),
        ReplicateModel(
            "black-forest-labs/flux-dev",
            "flux_dev",
            "image",
            frozenset({Task.TEXT_TO_IMAGE, Task.IMAGE_TO_IMAGE}),
            "list",
            enums={"aspect_ratio": FLUX_ASPECTS, "megapixels": ("1", "0.25")} | _FORMATS,
            ranges={
                "num_outputs": (1, 4),
                "num_inference_steps": (1, 50),
                "guidance": (0, 10),
                "prompt_strength": (0, 1),
                "output_quality": (0, 100),
            },
            integers=("num_outputs", "num_inference_steps", "output_quality", "seed"),
            files=("image",),
            max_outputs=4,
        ),
        ReplicateModel(
            "black-forest-labs/flux-1.1-pro",
            "flux_pro",
            "image",
            _IMAGE_TASKS,
            "single",
            enums={"aspect_ratio": (*FLUX_ASPECTS, "custom")} | _FORMATS,
            ranges={
                "width": (256, 1440),
                "height": (256, 1440),
                "safety_tolerance": (1, 6),
                "output_quality": (0, 100),
            },
            integers=("width", "height", "safety_tolerance", "output_quality", "seed"),
            files=("image_prompt",),
        ),
        ReplicateModel(
            "prunaai/z-image-turbo",
            "z_image",
            "image",
            _IMAGE_TASKS,
            "single",
            enums=dict(_FORMATS),
            ranges={
                "width": (64, 2048),
                "height": (64, 2048),
                "num_inference_steps": (1, 50),
                "guidance_scale": (0, 20),
                "output_quality": (0, 100),
            },
            integers=("width", "height", "num_inference_steps", "output_quality", "seed"),
            defaults={"width": 768, "height": 768, "num_inference_steps": 8, "guidance_scale": 0},
        ),
        ReplicateModel(
            "allenhooo/lama",
            "lama",
            "image",
            frozenset({Task.INPAINT}),
            "single",
            version=LAMA_VERSION,
            required=("image", "mask"),
            files=("image", "mask"),
        ),
        ReplicateModel(
            "minimax/hailuo-2.3-fast",
            "hailuo",
            "video",
            frozenset({Task.IMAGE_TO_VIDEO}),
            "single",
            required=("prompt", "first_frame_image"),
            enums={"duration": (6, 10), "resolution": ("768p", "1080p")},
            files=("first_frame_image",),
            defaults={"duration": 10, "resolution": "768p"},
        ),
        ReplicateModel(
            "bytedance/seedance-1-pro-fast",
            "seedance",
            "video",
            frozenset({Task.IMAGE_TO_VIDEO, Task.TEXT_TO_VIDEO}),
            "single",
            enums={
                "resolution": ("480p", "720p", "1080p"),
                "aspect_ratio": SEEDANCE_ASPECTS,
                "fps": (24,),
            },
            ranges={"duration": (2, 12)},
            integers=("duration", "fps", "seed"),
            files=("image",),
            defaults={"duration": 10, "resolution": "1080p"},
        ),
        ReplicateModel(
            "google/veo-3.1-fast",
            "veo",
            "video",
            frozenset({Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO, Task.TEXT_TO_VIDEO}),
            "single",
            enums={
                "duration": (4, 6, 8),
                "resolution": ("720p", "1080p"),
                "aspect_ratio": ("16:9", "9:16"),
            },
            integers=("seed",),
            files=("image", "last_frame"),
            defaults={"duration": 8, "resolution": "720p", "generate_audio": True},
        ),
    )
}

VERSIONS: dict[str, ReplicateModel] = {m.version: m for m in MODELS.values() if m.version}


def model_for(ref: str) -> ReplicateModel | None:
    return MODELS.get(ref)


def split_ref(ref: str) -> tuple[str, str | None]:
    """``owner/name`` or ``owner/name:version`` -> (owner/name, version or None)."""
    name, _, version = ref.partition(":")
    return name, version or None


def _field(name: str) -> str:
    return f"input.{name}"


def validate_input(model: ReplicateModel, body: dict[str, Any]) -> list[dict[str, str]]:
    """Replicate-style ``invalid_fields`` entries for what is wrong with ``body``."""
    errors: list[dict[str, str]] = []
    for name in model.required:
        if body.get(name) in (None, "", []):
            errors.append(
                {"type": "required", "field": "input", "description": f"{name} is required"}
            )
    for name, allowed in model.enums.items():
        if name in body and body[name] not in allowed:
            options = ", ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in allowed)
            errors.append(
                {
                    "type": "enum",
                    "field": _field(name),
                    "description": f"{_field(name)} must be one of the following: {options}",
                }
            )
    for name in model.integers:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            errors.append(
                {
                    "type": "invalid_type",
                    "field": _field(name),
                    "description": "Invalid type. Expected: integer, given: "
                    f"{type(value).__name__}",
                }
            )
    for name, (low, high) in model.ranges.items():
        value = body.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value < low:
                errors.append(
                    {
                        "type": "number_gte",
                        "field": _field(name),
                        "description": f"Must be greater than or equal to {low:g}",
                    }
                )
            elif value > high:
                errors.append(
                    {
                        "type": "number_lte",
                        "field": _field(name),
                        "description": f"Must be less than or equal to {high:g}",
                    }
                )
    for name in model.files:
        value = body.get(name)
        if value is not None and not (
            isinstance(value, str) and value.startswith(("http://", "https://", "data:"))
        ):
            errors.append(
                {
                    "type": "format",
                    "field": _field(name),
                    "description": "Does not match format 'uri'",
                }
            )
    if (
        model.family == "hailuo"
        and body.get("resolution") == "1080p"
        and body.get("duration") == 10
    ):
        errors.append(
            {
                "type": "condition_else",
                "field": _field("duration"),
                "description": "10 second videos are only available at 768p",
            }
        )
    return errors
