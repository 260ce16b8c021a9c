"""ModelsLab models storyreel knows: which route each ``model_id`` takes, which fields it
accepts, and which values (compared as strings: ModelsLab's own examples send ``"8"``).

The adapter builds bodies from this table and the simulator validates against it, so what
one sends and the other accepts cannot drift apart. Sources: reference/providers-others.md
part A (v6/v7 docs, model pages, SDK schemas) and seed 000 (v8 image routes, ``samples``
up to 7, Seedance 1.5 Pro with ``width``/``height``/``num_frames`` at 15 fps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Family = Literal["community", "v7_image", "frames_video", "fusion_video", "tts", "music"]
RouteName = Literal[
    "text-to-image",
    "image-to-image",
    "text-to-video",
    "image-to-video",
    "text-to-speech",
    "music-gen",
]
Kind = Literal["image", "video", "audio"]

#: Seed 000 asks for 7 images per call ("7 key actions"); the v6 docs say 1-4. We accept 7.
MAX_SAMPLES = 7
#: v6 community models: width/height at most 1024 and multiples of 8.
V6_MAX_SIDE = 1024
#: Seed 000's video convention: ``num_frames = seconds * 15``.
FRAMES_PER_SECOND = 15
#: ElevenLabs' "Rachel", the voice ModelsLab's v7 text-to-speech examples use.
DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"

SUBMIT_PATHS: dict[tuple[str, RouteName], str] = {
    ("v6", "text-to-image"): "/api/v6/images/text2img",
    ("v6", "image-to-image"): "/api/v6/images/img2img",
    ("v7", "text-to-image"): "/api/v7/images/text-to-image",
    ("v7", "image-to-image"): "/api/v7/images/image-to-image",
    ("v8", "text-to-image"): "/api/v8/images/text-to-image",
    ("v8", "image-to-image"): "/api/v8/images/image-to-image",
    ("v7", "text-to-video"): "/api/v7/video-fusion/text-to-video",
    ("v7", "image-to-video"): "/api/v7/video-fusion/image-to-video",
    ("v7", "text-to-speech"): "/api/v7/voice/text-to-speech",
    ("v7", "music-gen"): "/api/v7/voice/music-gen",
}
UPLOAD_PATH = "/api/v6/base64_to_url"


@dataclass(frozen=True)
class ModelsLabModel:
    family: Family
    routes: frozenset[RouteName]
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``init_image`` goes as a list (v7 models that take several images).
    init_array: bool = False
    #: Input images accepted on the image/video route.
    max_images: int = 1
    #: ``samples`` accepted (outputs per call).
    max_samples: int = 1
    #: Optional fields the adapter fills from the request when it has a value.
    optional: frozenset[str] = frozenset()

    @property
    def kind(self) -> Kind:
        if self.family in ("frames_video", "fusion_video"):
            return "video"
        if self.family in ("tts", "music"):
            return "audio"
        return "image"

    def versions(self) -> tuple[str, ...]:
        """API versions whose routes serve this model (community models: v6 and v8)."""
        return ("v6", "v8") if self.family == "community" else ("v7",)


def _durations(*seconds: int) -> tuple[str, ...]:
    return tuple(str(s) for s in seconds)


_T2I: frozenset[RouteName] = frozenset({"text-to-image"})
_I2I: frozenset[RouteName] = frozenset({"image-to-image"})
_IMAGES: frozenset[RouteName] = _T2I | _I2I
_T2V: frozenset[RouteName] = frozenset({"text-to-video"})
_I2V: frozenset[RouteName] = frozenset({"image-to-video"})

_V7_ASPECTS = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9")
_VEO = {"aspect_ratio": ("16:9", "9:16"), "duration": _durations(4, 6, 8)}
_VEO_FIELDS = frozenset({"generate_audio", "negative_prompt"})
_HAILUO = {"duration": _durations(6, 10)}
_KLING = {"duration": _durations(5, 10)}
_WAN26 = {"duration": _durations(*range(5, 16)), "resolution": ("720p", "1080p")}
_WAN25 = {"resolution": ("480P", "720P", "1080P")}


def _community() -> ModelsLabModel:
    return ModelsLabModel(
        "community",
        _IMAGES,
        max_samples=MAX_SAMPLES,
        optional=frozenset({"negative_prompt", "seed", "num_inference_steps", "guidance_scale"}),
    )


MODELS: dict[str, ModelsLabModel] = {
    # Community / in-house image models (v6 documented, v8 as seed 000 calls them).
    "flux": ModelsLabModel(
        "community",
        _IMAGES,
        max_samples=MAX_SAMPLES,
        optional=frozenset({"seed", "num_inference_steps", "guidance_scale"}),
    ),
    "sdxl": _community(),
    "realistic-vision": _community(),
    "anything-v5": _community(),
    # v7 image models: aspect_ratio instead of width/height.
    "nano-banana-pro": ModelsLabModel(
        "v7_image", _IMAGES, {"aspect_ratio": _V7_ASPECTS}, init_array=True, max_images=14
    ),
    "nano-banana": ModelsLabModel("v7_image", _I2I, max_images=2),
    "nano-banana-t2i": ModelsLabModel("v7_image", _T2I),
    "seedream-4.5": ModelsLabModel("v7_image", _T2I, {"aspect_ratio": _V7_ASPECTS}),
    "seedream-4.5-i2i": ModelsLabModel(
        "v7_image", _I2I, {"aspect_ratio": _V7_ASPECTS}, init_array=True, max_images=10
    ),
    "imagen-4": ModelsLabModel("v7_image", _T2I, {"aspect_ratio": _V7_ASPECTS}),
    "imagen-4.0-ultra": ModelsLabModel(
        "v7_image", _T2I, {"aspect_ratio": _V7_ASPECTS}, max_samples=4
    ),
    "imagen-4.0-fast-generate": ModelsLabModel("v7_image", _T2I, {"aspect_ratio": _V7_ASPECTS}),
    # Seed 000's video call: width, height, num_frames.
    "seedance-1.5-pro": ModelsLabModel("frames_video", _I2V),
    "wan2.2": ModelsLabModel("frames_video", _I2V | _T2V),
    # v7 video-fusion models with the fields their model pages list.
    "seedance-t2v": ModelsLabModel(
        "fusion_video",
        _T2V,
        {"aspect_ratio": ("16:9", "4:3", "1:1", "9:21"), "resolution": ("720p", "480p")},
        optional=frozenset({"camera_fixed"}),
    ),
    "seedance-i2v": ModelsLabModel("fusion_video", _I2V, init_array=True),
    "seedance-1.0-pro-i2v": ModelsLabModel("fusion_video", _I2V, init_array=True),
    "seedance-1.0-pro-fast-i2v": ModelsLabModel("fusion_video", _I2V),
    "seedance-1.0-pro-fast-t2v": ModelsLabModel("fusion_video", _T2V),
    "wan2.5-i2v": ModelsLabModel(
        "fusion_video", _I2V, _WAN25, optional=frozenset({"generate_audio"})
    ),
    "wan2.5-t2v": ModelsLabModel(
        "fusion_video", _T2V, _WAN25, optional=frozenset({"generate_audio"})
    ),
    "wan2.6-i2v": ModelsLabModel("fusion_video", _I2V, _WAN26),
    "wan2.6-i2v-flash": ModelsLabModel("fusion_video", _I2V, _WAN26),
    "wan2.6-t2v": ModelsLabModel("fusion_video", _T2V, _WAN26),
    "veo2": ModelsLabModel("fusion_video", _T2V, _VEO, optional=_VEO_FIELDS),
    "veo3": ModelsLabModel("fusion_video", _T2V, _VEO, optional=_VEO_FIELDS),
    "veo-3.0-fast-generate": ModelsLabModel("fusion_video", _T2V, _VEO, optional=_VEO_FIELDS),
    "veo-3.1": ModelsLabModel("fusion_video", _T2V, _VEO, optional=_VEO_FIELDS),
    "veo-3.1-fast": ModelsLabModel("fusion_video", _T2V, _VEO, optional=_VEO_FIELDS),
    "sora-2": ModelsLabModel(
        "fusion_video",
        _T2V,
        {"aspect_ratio": ("16:9", "9:16"), "duration": _durations(4, 8, 12)},
    ),
    "Hailuo-2.3-i2v": ModelsLabModel("fusion_video", _I2V, _HAILUO),
    "Hailuo-2.3-Fast-i2v": ModelsLabModel("fusion_video", _I2V, _HAILUO),
    "Hailuo-2.3-t2v": ModelsLabModel("fusion_video", _T2V, _HAILUO),
    "kling-v2-5-turbo-t2v": ModelsLabModel(
        "fusion_video", _T2V, _KLING | {"aspect_ratio": ("16:9", "9:16", "1:1")}
    ),
    "Kling-V2-5-Turbo-i2v": ModelsLabModel("fusion_video", _I2V, _KLING),
    "kling-v2-1-master-i2v": ModelsLabModel("fusion_video", _I2V, _KLING),
    # v7 voice.
    "eleven_multilingual_v2": ModelsLabModel("tts", frozenset({"text-to-speech"})),
    "inworld-tts-1": ModelsLabModel("tts", frozenset({"text-to-speech"})),
    "music_v1": ModelsLabModel("music", frozenset({"music-gen"})),
    "sonauto_song": ModelsLabModel("music", frozenset({"music-gen"})),
}


def model_for(model_id: str) -> ModelsLabModel | None:
    return MODELS.get(model_id)


def fetch_path(submit_path: str, request_id: str) -> str:
    """``/api/v7/video-fusion/image-to-video`` -> ``/api/v7/video-fusion/fetch/{id}``."""
    return f"{submit_path.rsplit('/', 1)[0]}/fetch/{request_id}"


def number(value: Any) -> float | None:
    """A numeric field sent as a number or a numeric string (both are accepted)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def validate(version: str, route: RouteName, body: Mapping[str, Any]) -> list[str]:
    """ModelsLab-style error messages for what is wrong with ``body`` (empty: fine)."""
    model_id = body.get("model_id")
    if not model_id:
        return ["The model id field is required."]
    model = model_for(str(model_id))
    if model is None or route not in model.routes or version not in model.versions():
        return [f"Model {model_id} is not available on this endpoint."]
    errors: list[str] = []
    if not str(body.get("prompt") or "").strip():
        errors.append("The prompt field is required.")
    for name, allowed in model.enums.items():
        if name in body and str(body[name]) not in allowed:
            errors.append(f"The selected {name.replace('_', ' ')} is invalid.")
    samples = number(body.get("samples", 1))
    if samples is None or not 1 <= samples <= model.max_samples or samples != int(samples):
        errors.append(f"The samples field must be between 1 and {model.max_samples}.")
    if version == "v6":
        for side in ("width", "height"):
            value = number(body.get(side, 512))
            if value is None or value > V6_MAX_SIDE or value % 8:
                errors.append(f"The {side} must be a multiple of 8 not greater than 1024.")
    if route in ("image-to-image", "image-to-video"):
        errors += _validate_images(model, body)
    if "strength" in body:
        strength = number(body["strength"])
        if strength is None or not 0 <= strength <= 1:
            errors.append("The strength field must be between 0 and 1.")
    if "num_frames" in body:
        frames = number(body["num_frames"])
        if frames is None or frames < 1:
            errors.append("The num frames field must be at least 1.")
    return errors


def _validate_images(model: ModelsLabModel, body: Mapping[str, Any]) -> list[str]:
    init = body.get("init_image")
    images = list(init) if isinstance(init, list) else ([init] if init else [])
    if "init_image_2" in body:
        images.append(body["init_image_2"])
    if not images:
        return ["The init image field is required."]
    errors = []
    if len(images) > model.max_images:
        errors.append(f"At most {model.max_images} init images are allowed.")
    if not all(_is_url(image) for image in images):
        errors.append("The init image must be a valid URL.")
    return errors
