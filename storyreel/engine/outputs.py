"""Turning a provider's artifacts into stored, described assets.

Runs inside the poll step that saw a job done (``finish``): providers delete outputs
within the hour. Returns small dicts, never bytes, so the step's checkpoint stays small.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Collection
from pathlib import Path
from typing import Any

import httpx2

from storyreel.errors import MediaError, ProviderJobError
from storyreel.media.audio import probe_audio
from storyreel.media.images import inspect_image, make_thumbnail
from storyreel.media.probe import probe_video
from storyreel.media.thumbs import video_thumbnail
from storyreel.providers.origin import Origin
from storyreel.providers.types import RemoteArtifact
from storyreel.store.assets import AssetStore

from .fetch import fetch_to_store


def _inside(path: Path, root: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise ProviderJobError(f"local provider wrote outside the data dir: {path}")
    return resolved


async def store_artifact(
    artifact: RemoteArtifact,
    *,
    assets: AssetStore,
    data_dir: Path,
    client: httpx2.AsyncClient | None,
    max_bytes: int,
    trusted_origins: Collection[str | Origin],
) -> dict[str, Any]:
    """Store one artifact and describe it (size, dimensions, thumbnail). A URL off
    ``trusted_origins`` is fetched through the SSRF guard, pinned to a public address;
    ``client`` may be None when the artifact is a local file."""
    mime = artifact.mime or mimetypes.guess_type(str(artifact.path or artifact.url))[0] or ""
    if artifact.path is not None:
        source = _inside(artifact.path, data_dir)
        # One trip to a worker thread for storing and describing: each trip is a hand-over
        # between threads, which under load costs more than the work.
        return await asyncio.to_thread(_store_local, assets, source, mime, max_bytes)
    if artifact.url is None or client is None:
        raise ValueError("an output on the network needs its URL and a client")
    sha, size = await fetch_to_store(
        client,
        artifact.url,
        assets,
        mime=mime,
        max_bytes=max_bytes,
        trusted_origins=trusted_origins,
    )
    target = assets.path(sha, mime)
    info: dict[str, Any] = {"sha256": sha, "mime": mime, "size": size}
    # Decoding, probing and thumbnailing run off the event loop: done inline they held up
    # every other job's steps (and a story's next submits) for as long as they took.
    return info | await asyncio.to_thread(_describe, assets, target, sha, mime, max_bytes)


def _store_local(assets: AssetStore, source: Path, mime: str, max_bytes: int) -> dict[str, Any]:
    # the source is kept until the job's outputs are committed: a download step run again
    # after a crash must find it (``finish.fetch_and_finalize`` removes it after finalize)
    sha, target = assets.put_file(source, mime, keep_source=True)
    info: dict[str, Any] = {"sha256": sha, "mime": mime, "size": target.stat().st_size}
    return info | _describe(assets, target, sha, mime, max_bytes)


def _describe(
    assets: AssetStore, target: Path, sha: str, mime: str, max_bytes: int
) -> dict[str, Any]:
    """Dimensions (and frames, duration) of a stored output, and its thumbnail's sha."""
    info: dict[str, Any] = {}
    if mime.startswith("image/"):
        data = target.read_bytes()
        image = inspect_image(data, max_bytes=max_bytes, name="provider output")
        thumb = make_thumbnail(data)
        info |= {"width": image.width, "height": image.height}
    elif mime.startswith("video/"):
        video = probe_video(target)
        info |= {
            "width": video.width,
            "height": video.height,
            "frames": video.frames,
            "duration": video.duration,
        }
        thumb = video_thumbnail(target)
    elif mime.startswith("audio/"):  # decoded once: undecodable "audio" fails the job here
        return info | {"duration": probe_audio(target).duration}
    else:
        return info
    if not thumb:
        raise MediaError(f"could not make a thumbnail for {sha[:12]}")
    thumb_sha, _ = assets.put(thumb, "image/jpeg")
    info["thumbnail_sha256"] = thumb_sha
    return info
