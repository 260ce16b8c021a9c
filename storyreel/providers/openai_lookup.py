"""OpenAI: finding a Sora video job whose create answer was lost (``find_submitted``).

``GET /v1/videos`` lists the account's video jobs (``limit``, ``order`` asc/desc,
``after`` = the last id of the previous page; ``{"data", "has_more", "last_id"}``), each a
``Video`` with ``model``, ``prompt``, ``seconds``, ``size`` and ``created_at`` in Unix
seconds [C: openai-python ``videos.list``, ``types/video.py``]. Video creation takes no
metadata and echoes no id of ours, so ours is the earliest job created since the attempt
started with the same model, prompt, seconds and size. The input reference image is not
echoed: a text-to-video and an image-to-video job with those four fields equal cannot be
told apart. Image generation is synchronous and listed nowhere: no lookup (False).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from storyreel.providers import lookup
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest

if TYPE_CHECKING:
    from storyreel.providers.openai import OpenAIProvider


async def find_video(
    provider: OpenAIProvider, req: GenerationRequest, *, since: float
) -> Handle | None:
    from storyreel.providers.openai import video_seconds, video_size

    model = req.model_name
    fields = {
        "model": model,
        "prompt": req.prompt,
        "seconds": video_seconds(req),
        "size": video_size(req, model),
    }
    start = lookup.window_start(since)
    candidates: list[tuple[float, dict[str, Any]]] = []
    async for video in _videos(provider, start):
        created = lookup.parse_time(video.get("created_at"))
        if created is None or created < start:
            continue
        if all(str(video.get(k)) == str(v) for k, v in fields.items()):
            candidates.append((created, video))
    found = lookup.earliest(candidates)
    if found is None:
        return None
    return Handle(
        provider=provider.name,
        request_id=str(found["id"]),
        data={
            "kind": "video",
            "model": model,
            "seconds": fields["seconds"],
            "size": fields["size"],
        },
        submitted_at=lookup.parse_time(found.get("created_at")) or since,
    )


async def _videos(provider: OpenAIProvider, start: float) -> AsyncIterator[dict[str, Any]]:
    """Newest first, stopping at the first page that reaches back before ``start``."""
    params = {"limit": "100", "order": "desc"}
    for _ in range(lookup.MAX_PAGES):
        page = (await provider.call("GET", "v1/videos", params=params)).json()
        data = [v for v in page.get("data") or [] if isinstance(v, dict)]
        for video in data:
            yield video
        oldest = lookup.parse_time(data[-1].get("created_at")) if data else None
        last = page.get("last_id") or (data[-1].get("id") if data else None)
        if not page.get("has_more") or not last or (oldest is not None and oldest < start):
            return
        params = params | {"after": str(last)}
