"""AIML API's model table and request validation, shared by the adapter and the simulator
so what the adapter sends and what the fake accepts cannot drift apart: per model, the
fields it requires, the values it allows and how many images it takes, checked with the
zod-style messages the real API answers with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from storyreel.providers.types import JobState

Family = Literal[
    "nano_banana", "nano_banana_edit", "seedream", "flux", "hailuo", "seedance", "veo", "kling"
]


@dataclass(frozen=True)
class AimlModel:
    kind: Literal["image", "video"]
    family: Family
    required: tuple[str, ...] = ("prompt",)
    enums: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    #: ``image_urls`` accepted (image models).
    max_images: int = 0
    #: ``num_images`` accepted.
    max_count: int = 1
    #: Video: ``image_url`` accepted; ``last_image_url`` accepted.
    first_frame: bool = False
    last_frame: bool = False
    #: Sent when the request names no duration (so the catalog's price matches the clip).
    default_duration: int | None = None


_NANO_ASPECTS = ("21:9", "1:1", "4:3", "3:2", "2:3", "5:4", "4:5", "3:4", "16:9", "9:16")
_EDIT_ASPECTS = ("1:1", "9:16", "16:9", "3:4", "4:3")
_NANO = {"aspect_ratio": _NANO_ASPECTS, "resolution": ("1K", "2K", "4K")}
_NANO_EDIT = {"aspect_ratio": _EDIT_ASPECTS, "resolution": ("1K", "2K", "4K")}
_PROVIDERS = {"provider": ("auto", "google", "fal")}
_HAILUO = {"duration": (6, 10), "resolution": ("768P", "1080P")}
_SEEDANCE = {
    "aspect_ratio": ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"),
    "resolution": ("480p", "720p", "1080p"),
    "duration": tuple(range(4, 13)),
}

_VEO = {"aspect_ratio": ("16:9", "9:16"), "duration": (4, 6, 8), "resolution": ("720p", "1080p")}
_nano_pro = AimlModel("image", "nano_banana", enums=_NANO | _PROVIDERS, max_count=4)
_nano_pro_edit = AimlModel(
    "image",
    "nano_banana_edit",
    ("prompt", "image_urls"),
    _NANO_EDIT | _PROVIDERS,
    max_images=5,
    max_count=4,
)

MODELS: dict[str, AimlModel] = {
    "google/nano-banana-pro": _nano_pro,
    "google/gemini-3-pro-image-preview": _nano_pro,
    "google/nano-banana-pro-edit": _nano_pro_edit,
    "google/gemini-3-pro-image-preview-edit": _nano_pro_edit,
    # The edit JSON schema's enum spells it this way (an inconsistency in AIML's docs).
    "google/gemini-3-pro-image-edit": _nano_pro_edit,
    "google/nano-banana-edit": AimlModel(
        "image",
        "nano_banana_edit",
        ("prompt", "image_urls"),
        {"aspect_ratio": _NANO_ASPECTS},
        max_images=3,
        max_count=4,
    ),
    "bytedance/seedream-4-5": AimlModel(
        "image", "seedream", enums={"response_format": ("url", "b64_json")}, max_images=14
    ),
    "flux/dev": AimlModel("image", "flux", max_count=4),
    "flux/schnell": AimlModel("image", "flux", max_count=4),
    # Seed 002 asks Hailuo 2.3 Fast for 10 s clips; the catalog prices that default.
    "minimax/hailuo-2.3-fast": AimlModel(
        "video", "hailuo", ("prompt", "image_url"), _HAILUO, first_frame=True, default_duration=10
    ),
    "minimax/hailuo-2.3": AimlModel("video", "hailuo", enums=_HAILUO, first_frame=True),
    "bytedance/seedance-1-5-pro": AimlModel(
        "video", "seedance", enums=_SEEDANCE, first_frame=True, last_frame=True
    ),
    "google/veo-3.1-t2v": AimlModel("video", "veo", enums=_VEO),
    "google/veo-3.1-t2v-fast": AimlModel("video", "veo", enums=_VEO),
    "google/veo-3.1-i2v": AimlModel(
        "video", "veo", ("prompt", "image_url"), _VEO, first_frame=True
    ),
    "klingai/v2.5-turbo/pro/image-to-video": AimlModel(
        "video", "kling", ("prompt", "image_url"), {"duration": (5, 10)}, first_frame=True
    ),
}

#: Chat models the simulator knows (the real API has hundreds; any id is sent as given).
CHAT_MODELS = (
    "gpt-4o",
    "openai/gpt-4o",
    "gpt-4o-mini",
    "openai/gpt-4o-mini",
    "deepseek/deepseek-chat",
    "google/gemini-2.5-flash-preview",
)

_VIDEO_STATES = {
    "queued": JobState.QUEUED,
    "waiting": JobState.QUEUED,
    "generating": JobState.RUNNING,
    "processing": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "error": JobState.FAILED,
    "failed": JobState.FAILED,
}


def model_for(model_id: str) -> AimlModel | None:
    return MODELS.get(model_id)


def video_state(status: Any) -> JobState | None:
    return _VIDEO_STATES.get(str(status))


def _is_image_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://", "data:image/"))


def validate(model_id: Any, body: Mapping[str, Any], kind: str) -> list[str]:
    """zod-style detail lines for what is wrong with ``body`` (empty: fine); the API
    prefixes them with "Body validation error!"."""
    model = MODELS.get(str(model_id))
    if model is None or model.kind != kind:
        known = " | ".join(f"'{m}'" for m, spec in MODELS.items() if spec.kind == kind)
        return [f"Invalid enum value. Expected {known}, received '{model_id}'"]
    errors = [f"{name}: Required" for name in model.required if body.get(name) in (None, "", [])]
    for name, allowed in model.enums.items():
        if name in body and body[name] not in allowed:
            expected = " | ".join(repr(v) for v in allowed)
            errors.append(
                f"{name}: Invalid enum value. Expected {expected}, received {body[name]!r}"
            )
    urls = body.get("image_urls")
    if urls is not None:
        if not isinstance(urls, list) or not all(_is_image_ref(u) for u in urls):
            errors.append("image_urls: Expected an array of URLs or base64 data URIs")
        elif len(urls) > model.max_images:
            errors.append(f"image_urls: Array must contain at most {model.max_images} element(s)")
    for name in ("image_url", "last_image_url"):
        if name in body and not _is_image_ref(body[name]):
            errors.append(f"{name}: Invalid url")
    count = body.get("num_images", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= model.max_count:
        errors.append(f"num_images: Number must be between 1 and {model.max_count}")
    return errors
