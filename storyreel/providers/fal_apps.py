"""fal.ai apps storyreel knows: how to build each app's input from a GenerationRequest, and
what each app accepts (the simulator validates against the same table, so a body the
adapter builds and a body the fake accepts cannot drift apart).

Field names and enums follow the app schemas in fal's generated client types (see
reference/providers-fal-replicate.md, A13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Family = Literal[
    "flux_general",
    "flux2_edit",
    "flux_t2i",
    "nano_banana",
    "gpt_image",
    "kling_image",
    "kling",
    "wan",
    "veo",
    "sora",
]


@dataclass(frozen=True)
class FalApp:
    family: Family
    kind: Literal["image", "video"]
    required: tuple[str, ...]
    enums: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    max_images: int | None = None  # for image_urls


_VEO = {"duration": ("4s", "6s", "8s"), "resolution": ("720p", "1080p", "4k")}
_KLING = {"duration": ("5", "10")}
_SORA = {"duration": ("4", "8", "12"), "resolution": ("auto", "720p")}
_SORA_PRO = {"duration": ("4", "8", "12"), "resolution": ("auto", "720p", "1080p")}
_NANO = {
    "aspect_ratio": (
        "auto",
        "21:9",
        "16:9",
        "3:2",
        "4:3",
        "5:4",
        "1:1",
        "4:5",
        "3:4",
        "2:3",
        "9:16",
    )
}

APPS: dict[str, FalApp] = {
    "fal-ai/flux-general/image-to-image": FalApp("flux_general", "image", ("prompt", "image_url")),
    "fal-ai/flux-2-pro/edit": FalApp("flux2_edit", "image", ("prompt", "image_urls"), max_images=9),
    "fal-ai/flux-2-pro": FalApp("flux_t2i", "image", ("prompt",)),
    "fal-ai/flux-2/turbo": FalApp("flux_t2i", "image", ("prompt",)),
    "fal-ai/flux-2/turbo/edit": FalApp(
        "flux2_edit", "image", ("prompt", "image_urls"), max_images=4
    ),
    "fal-ai/flux-2/flash": FalApp("flux_t2i", "image", ("prompt",)),
    "fal-ai/flux-2": FalApp("flux_t2i", "image", ("prompt",)),
    "fal-ai/flux/schnell": FalApp("flux_t2i", "image", ("prompt",)),
    "fal-ai/nano-banana": FalApp("nano_banana", "image", ("prompt",), _NANO),
    "fal-ai/nano-banana/edit": FalApp("nano_banana", "image", ("prompt", "image_urls"), _NANO),
    "fal-ai/nano-banana-pro": FalApp(
        "nano_banana", "image", ("prompt",), _NANO | {"resolution": ("1K", "2K", "4K")}
    ),
    "fal-ai/nano-banana-pro/edit": FalApp(
        "nano_banana", "image", ("prompt", "image_urls"), _NANO | {"resolution": ("1K", "2K", "4K")}
    ),
    # The next three are named by seed 004; fal's schemas for them were not in our
    # reference, so their fields follow the sibling apps' conventions (docs/providers/fal.md).
    "fal-ai/gpt-image-1.5": FalApp(
        "gpt_image", "image", ("prompt",), {"quality": ("low", "medium", "high")}
    ),
    "fal-ai/gpt-image-1.5/edit": FalApp(
        "gpt_image",
        "image",
        ("prompt", "image_urls"),
        {"quality": ("low", "medium", "high")},
        max_images=16,
    ),
    "fal-ai/kling-image/o1": FalApp("kling_image", "image", ("prompt",), max_images=10),
    "fal-ai/veo2/image-to-video": FalApp(
        "veo", "video", ("prompt", "image_url"), {"duration": ("5s", "6s", "7s", "8s")}
    ),
    "fal-ai/kling-video/v2.5-turbo/pro/image-to-video": FalApp(
        "kling", "video", ("prompt", "image_url"), _KLING
    ),
    "fal-ai/kling-video/v2.1/master/image-to-video": FalApp(
        "kling", "video", ("prompt", "image_url"), _KLING
    ),
    "fal-ai/kling-video/v2.1/standard/image-to-video": FalApp(
        "kling", "video", ("prompt", "image_url"), _KLING
    ),
    "fal-ai/wan-25-preview/image-to-video": FalApp(
        "wan",
        "video",
        ("prompt", "image_url"),
        {"duration": ("5", "10"), "resolution": ("480p", "720p", "1080p")},
    ),
    "fal-ai/wan-i2v": FalApp(
        "wan", "video", ("prompt", "image_url"), {"resolution": ("480p", "720p")}
    ),
    "fal-ai/wan/v2.2-a14b/image-to-video/turbo": FalApp(
        "wan", "video", ("prompt", "image_url"), {"resolution": ("480p", "580p", "720p")}
    ),
    "fal-ai/wan-pro/image-to-video": FalApp("wan", "video", ("prompt", "image_url")),
    "fal-ai/veo3.1/image-to-video": FalApp("veo", "video", ("prompt", "image_url"), _VEO),
    "fal-ai/veo3.1/fast/image-to-video": FalApp("veo", "video", ("prompt", "image_url"), _VEO),
    "fal-ai/veo3.1/first-last-frame-to-video": FalApp(
        "veo", "video", ("prompt", "first_frame_url", "last_frame_url"), _VEO
    ),
    "fal-ai/veo3.1/fast/first-last-frame-to-video": FalApp(
        "veo", "video", ("prompt", "first_frame_url", "last_frame_url"), _VEO
    ),
    "fal-ai/sora-2/image-to-video": FalApp("sora", "video", ("prompt", "image_url"), _SORA),
    "fal-ai/sora-2/image-to-video/pro": FalApp("sora", "video", ("prompt", "image_url"), _SORA_PRO),
}


def app_for(app_id: str) -> FalApp | None:
    return APPS.get(app_id)


def image_size(width: int | None, height: int | None) -> dict[str, int] | str:
    if width and height:
        return {"width": width, "height": height}
    return "landscape_16_9"


def validate_input(app: FalApp, body: dict[str, Any]) -> list[dict[str, Any]]:
    """fal-style 422 ``detail`` entries for what is wrong with ``body`` (empty: fine)."""
    errors: list[dict[str, Any]] = []
    for name in app.required:
        if body.get(name) in (None, "", []):
            errors.append(
                {"loc": ["body", name], "msg": "field required", "type": "value_error.missing"}
            )
    for name, allowed in app.enums.items():
        if name in body and body[name] not in allowed:
            errors.append(
                {
                    "loc": ["body", name],
                    "msg": f"unexpected value; permitted: {', '.join(map(repr, allowed))}",
                    "type": "value_error.const",
                    "ctx": {"given": body[name], "permitted": list(allowed)},
                }
            )
    urls = body.get("image_urls")
    if app.max_images is not None and isinstance(urls, list) and len(urls) > app.max_images:
        errors.append(
            {
                "loc": ["body", "image_urls"],
                "msg": f"ensure this value has at most {app.max_images} items",
                "type": "value_error.list.max_items",
            }
        )
    return errors
