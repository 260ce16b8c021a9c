"""Nothing made twice: a re-run of an unchanged story reuses its video, contact sheet and
export folder.

Generation jobs are already reused by request hash (``engine/jobs.py``); what follows them
is deterministic, so it is keyed by a hash of its inputs too:

* an assembled video (or a contact sheet) by its *recipe*: the ordered input shas and every
  setting that changes a frame. ``derived_assets`` maps the recipe hash to the asset it made,
  so the answer survives the process; the asset's file must still be in the store.
* an export folder by its manifest: if ``manifest.json`` there is exactly the manifest this
  run would write and every file it lists holds the sha it claims, nothing is copied.

``RECIPE_VERSION`` goes into every recipe: bump it when assembly or the contact sheet start
making different frames from the same inputs, and old entries stop matching.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storyreel.ids import content_hash
from storyreel.store.assets import AssetStore
from storyreel.store.exports import holds
from storyreel.store.models import Asset, DerivedAsset, utcnow

log = logging.getLogger(__name__)

RECIPE_VERSION = 1

ASSEMBLY = "assembly"
CONTACT_SHEET = "contact_sheet"

# The columns of an asset row, as the pipeline returns them (and the manifest records).
ASSET_FIELDS = ("sha256", "mime", "size", "width", "height", "frames", "duration")


def assembly_recipe(
    clips: Sequence[str],
    *,
    fps: int,
    width: int,
    height: int,
    transition_frames: int,
    durations: Sequence[float],
) -> str:
    """The hash of everything that decides the assembled video's frames."""
    return content_hash(
        {
            "kind": ASSEMBLY,
            "version": RECIPE_VERSION,
            "clips": list(clips),
            "fps": fps,
            "size": [width, height],
            "transition_frames": transition_frames,
            "durations": [float(d) for d in durations],
        }
    )


def contact_sheet_recipe(title: str, panels: Sequence[tuple[int, str, str]]) -> str:
    """The hash of a contact sheet's inputs: the title and each (number, caption, panel sha)."""
    return content_hash(
        {
            "kind": CONTACT_SHEET,
            "version": RECIPE_VERSION,
            "title": title,
            "panels": [list(panel) for panel in panels],
        }
    )


async def find_derived(
    session: AsyncSession, assets: AssetStore, recipe: str
) -> dict[str, Any] | None:
    """The asset row a recipe already made, or None when it never ran or its file (or its
    thumbnail) has gone from the store since."""
    row = (
        await session.execute(
            select(Asset)
            .join(DerivedAsset, DerivedAsset.asset_sha256 == Asset.sha256)
            .where(DerivedAsset.recipe_hash == recipe)
        )
    ).scalar_one_or_none()
    if row is None or not assets.exists(row.sha256, row.mime):
        return None
    if row.thumbnail_sha256 and not assets.exists(row.thumbnail_sha256, "image/jpeg"):
        return None
    log.info("reused %s for recipe %s", row.sha256[:12], recipe[:12])
    return {field: getattr(row, field) for field in ASSET_FIELDS} | {
        "thumbnail_sha256": row.thumbnail_sha256
    }


async def remember_derived(session: AsyncSession, recipe: str, kind: str, sha256: str) -> None:
    """Record what a recipe made. The asset row must exist (or be pending in ``session``).
    ``merge``: two runs that made the same thing at once both record the same answer."""
    await session.flush()
    await session.merge(
        DerivedAsset(recipe_hash=recipe, kind=kind, asset_sha256=sha256, created_at=utcnow())
    )


def manifest_entries(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in a manifest, wherever it is nested."""
    if isinstance(node, dict):
        yield node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        yield from manifest_entries(child)


def listed_files(node: Any) -> Iterator[tuple[str, str]]:
    """Every (file, sha256) a manifest lists, wherever it is nested."""
    for entry in manifest_entries(node):
        if isinstance(entry.get("file"), str) and isinstance(entry.get("sha256"), str):
            yield entry["file"], entry["sha256"]


def export_is_current(out_dir: Path, manifest: dict[str, Any]) -> bool:
    """True when ``out_dir`` already holds exactly this export: its manifest equals
    ``manifest`` and every file listed there is present with the right content."""
    try:
        written = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if written != manifest:
        return False
    return all(holds(out_dir / name, sha) for name, sha in listed_files(manifest))
