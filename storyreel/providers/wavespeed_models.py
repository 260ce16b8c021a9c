"""WaveSpeedAI's model table and input validation, shared by the adapter and the simulator
so what the adapter sends and what the fake accepts cannot drift apart: which routes take
which tasks and inputs, Seedream 4.5's pixel range (and the size a request's shape maps
to inside it), Seedance's durations, resolutions and ratios, with WaveSpeed's 400
messages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from storyreel.vocabulary import Task

# Seedream 4.5 output size bounds: total pixels from 2560x1440 to 4096x4096.
MIN_PIXELS = 2560 * 1440
MAX_PIXELS = 4096 * 4096
MAX_SIDE = 4096
MAX_SERIES = 15  # max_images of the sequential routes
DEFAULT_DURATION = 5
ASPECT_RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
RESOLUTIONS = ("480p", "720p", "1080p")


EDIT_TASKS = frozenset({Task.IMAGE_TO_IMAGE, Task.REFERENCE_TO_IMAGE})


@dataclass(frozen=True)
class WaveSpeedModel:
    """What one WaveSpeed model route takes."""

    family: Literal["seedream", "seedance"]
    tasks: frozenset[Task]
    required: tuple[str, ...]
    sequential: bool = False  # returns a series of ``max_images`` outputs
    max_inputs: int = 0  # length of ``images`` (Seedream) or first+last frames (Seedance)

    @property
    def kind(self) -> Literal["image", "video"]:
        return "video" if self.family == "seedance" else "image"


_SEEDANCE_I2V = WaveSpeedModel(
    "seedance",
    frozenset({Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO}),
    ("prompt", "image"),
    max_inputs=2,
)

MODELS: dict[str, WaveSpeedModel] = {
    "bytedance/seedream-v4.5": WaveSpeedModel(
        "seedream", frozenset({Task.TEXT_TO_IMAGE}), ("prompt",)
    ),
    "bytedance/seedream-v4.5/edit": WaveSpeedModel(
        "seedream", EDIT_TASKS, ("prompt", "images"), max_inputs=10
    ),
    "bytedance/seedream-v4.5/sequential": WaveSpeedModel(
        "seedream", frozenset({Task.TEXT_TO_IMAGE}), ("prompt",), sequential=True
    ),
    "bytedance/seedream-v4.5/edit-sequential": WaveSpeedModel(
        "seedream", EDIT_TASKS, ("prompt", "images"), sequential=True, max_inputs=10
    ),
    "bytedance/seedance-v1.5-pro/image-to-video": _SEEDANCE_I2V,
    "bytedance/seedance-v1.5-pro/image-to-video-fast": _SEEDANCE_I2V,
    "bytedance/seedance-v1.5-pro/text-to-video-fast": WaveSpeedModel(
        "seedance", frozenset({Task.TEXT_TO_VIDEO}), ("prompt",)
    ),
}


def model_for(model_id: str) -> WaveSpeedModel | None:
    return MODELS.get(model_id)


def parse_size(value: Any) -> tuple[int, int] | None:
    """``"2048*2048"`` -> (2048, 2048); None when malformed."""
    if not isinstance(value, str) or value.count("*") != 1:
        return None
    left, right = value.split("*")
    if not (left.isdigit() and right.isdigit()):
        return None
    return int(left), int(right)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_seedream(model: WaveSpeedModel, body: Mapping[str, Any]) -> list[str]:
    errors = []
    if "size" in body:
        size = parse_size(body["size"])
        if size is None:
            errors.append("size must be written WIDTH*HEIGHT, e.g. 2048*2048")
        elif not (MIN_PIXELS <= size[0] * size[1] <= MAX_PIXELS) or max(size) > MAX_SIDE:
            errors.append(
                f"size {body['size']} is out of range: total pixels must be between "
                f"{MIN_PIXELS} (2560*1440) and {MAX_PIXELS} (4096*4096)"
            )
    images = body.get("images")
    if "images" in body and (
        not isinstance(images, list) or not all(isinstance(i, str) and i for i in images)
    ):
        errors.append("images must be a list of image URLs")
    elif isinstance(images, list) and len(images) > model.max_inputs:
        errors.append(f"images accepts at most {model.max_inputs} items, got {len(images)}")
    if model.sequential and "max_images" in body:
        count = body["max_images"]
        if not is_int(count) or not 1 <= count <= MAX_SERIES:
            errors.append(f"max_images must be an integer from 1 to {MAX_SERIES}")
    return errors


def _check_seedance(body: Mapping[str, Any]) -> list[str]:
    errors = []
    duration = body.get("duration", DEFAULT_DURATION)
    if not is_int(duration) or not (duration == -1 or 4 <= duration <= 12):
        errors.append("duration must be an integer from 4 to 12 (or -1 for smart duration)")
    if "resolution" in body and body["resolution"] not in RESOLUTIONS:
        errors.append(f"resolution must be one of {', '.join(RESOLUTIONS)}")
    if "aspect_ratio" in body and body["aspect_ratio"] not in ASPECT_RATIOS:
        errors.append(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}")
    for name in ("camera_fixed", "generate_audio"):
        if name in body and not isinstance(body[name], bool):
            errors.append(f"{name} must be a boolean")
    if "seed" in body and (not is_int(body["seed"]) or not -1 <= body["seed"] <= 2**32 - 1):
        errors.append("seed must be an integer from -1 to 4294967295")
    if "last_image" in body and "image" not in body:
        errors.append("last_image needs image (the first frame)")
    return errors


def validate_input(model: WaveSpeedModel, body: Mapping[str, Any]) -> list[str]:
    """WaveSpeed-style 400 messages for what is wrong with ``body`` (empty: fine)."""
    errors = [f"{name} is required" for name in model.required if body.get(name) in (None, "", [])]
    if "prompt" in body and not isinstance(body["prompt"], str):
        errors.append("prompt must be a string")
    if model.family == "seedream":
        errors += _check_seedream(model, body)
    else:
        errors += _check_seedance(body)
    return errors


def seedream_size(width: int | None, height: int | None, aspect: str | None) -> str | None:
    """The requested shape as a Seedream 4.5 ``size``, scaled into its pixel range (a
    512x384 request becomes 2218*1663: same aspect, smallest size the model makes)."""
    left, right = aspect.split(":") if aspect else ("0", "0")
    if width and height:
        w, h = float(width), float(height)
    elif int(left) and int(right):
        w, h = float(left), float(right)
    else:
        return None
    target = min(max(w * h, MIN_PIXELS), MAX_PIXELS)
    scale = math.sqrt(target / (w * h))
    out_w, out_h = math.ceil(w * scale), math.ceil(h * scale)
    if out_w * out_h > MAX_PIXELS:
        out_w, out_h = math.floor(w * scale), math.floor(h * scale)
    side = max(out_w, out_h)
    if side > MAX_SIDE:  # extreme aspect ratios: cap the long side
        out_w, out_h = out_w * MAX_SIDE // side, out_h * MAX_SIDE // side
    return f"{out_w}*{out_h}"
