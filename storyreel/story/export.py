"""Human-friendly copies of a finished story: panels, clips, contact sheet, video, manifest.

The asset store stays the source of truth; this folder is a readable view of one run. Each
file is written to a temp name and renamed, and the manifest comes last, so a folder with a
manifest is complete. A folder that already holds this very export is left untouched.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storyreel.engine.runtime import Runtime
from storyreel.store.exports import copy_atomic, holds, write_text_atomic
from storyreel.store.models import Job, Shot
from storyreel.testing.chaos import crash_point

from .export_media import job_facts, sound_and_boards
from .project import load_project, shot_summary, story_of
from .reuse import export_is_current


async def _total_cost(rt: Runtime, project_id: str) -> Decimal:
    async with rt.db.session() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(Job.cost_usd), 0)).where(Job.project_id == project_id)
        )
    return Decimal(str(total))


async def _money_notes(rt: Runtime, project_id: str) -> dict[str, Any]:
    """Every switch to another model, and every job that may have been paid twice: a user
    must see both, in the manifest and the run summary."""
    async with rt.db.session() as session:
        rows = (
            (await session.execute(select(Job).where(Job.project_id == project_id))).scalars().all()
        )
    by_id = {job.id: job for job in rows}
    failovers = [
        {
            "from_job": job.id,
            "from_model": job.model,
            "reason": job.error_reason,
            "error": job.error,
            "to_job": job.failover_to,
            "to_model": by_id[job.failover_to].model if job.failover_to in by_id else None,
        }
        for job in rows
        if job.failover_to
    ]
    doubles = [job.id for job in rows if job.possibly_billed_twice]
    return {"failovers": failovers, "possibly_billed_twice": doubles}


async def export_story(
    rt: Runtime, project_id: str, out_dir: Path, outputs: dict[str, Any]
) -> dict[str, Any]:
    """Write the folder, or leave it untouched when it already holds exactly this export
    (an unchanged re-run). Otherwise only files whose content differs are copied; the old
    manifest goes first and the new one comes last, so a manifest never describes a
    half-updated folder."""
    project = await load_project(rt, project_id)
    jobs = [job_id for shot in project.shots for job_id in (shot.panel_job_id, shot.clip_job_id)]
    jobs += [line["job_id"] for line in (outputs.get("sound") or {}).get("lines", [])]
    if (music := (outputs.get("sound") or {}).get("music")) is not None:
        jobs.append(music["job_id"])
    facts = await job_facts(rt, jobs)
    shots = [_shot_entry(shot, outputs, facts) for shot in project.shots]
    media, copies = sound_and_boards(rt, story_of(project), outputs, facts)
    video = outputs["video"]
    manifest = {
        "title": project.title,
        "project_id": project.id,
        "seed": project.seed,
        "shots": shots,
        "video": {
            "file": "story.mp4",
            "sha256": video["sha256"],
            "frames": video["frames"],
            "duration": video["duration"],
            "width": video["width"],
            "height": video["height"],
            "sound": bool(media["narration"] or media["music"]),
        },
        **media,
        "contact_sheet": {"file": "contact_sheet.png", "sha256": outputs["contact_sheet"]},
        "cost_usd": str(await _total_cost(rt, project_id)),
        **(await _money_notes(rt, project_id)),
        **consistency_entries(outputs),
    }
    if export_is_current(out_dir, manifest):
        return manifest
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)
    for shot in shots:
        _place(rt.assets.path(shot["panel"]["sha256"], "image/png"), out_dir, shot["panel"])
        _place(rt.assets.path(shot["clip"]["sha256"], "video/mp4"), out_dir, shot["clip"])
        crash_point("during_export")
    for character in manifest.get("characters", []):
        _place(rt.assets.path(character["sha256"], character["mime"]), out_dir, character)
    _place(rt.assets.path(video["sha256"], "video/mp4"), out_dir, manifest["video"])
    _place(
        rt.assets.path(outputs["contact_sheet"], "image/png"), out_dir, manifest["contact_sheet"]
    )
    for source, entry in copies:
        _place(source, out_dir, entry)
    write_text_atomic(out_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def consistency_entries(outputs: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``characters`` (each one's reference or sheet, exported under
    ``characters/``) and ``consistency`` (the identity scores), when the run scored."""
    identity = outputs.get("consistency")
    if not identity:
        return {}
    characters = [
        {
            "name": c["name"],
            "source": c["source"],
            "file": f"characters/{i:02d}-{_safe(c['name'])}.{c['mime'].split('/')[-1]}",
            "sha256": c["sha256"],
            "mime": c["mime"],
        }
        for i, c in enumerate(identity.get("references", []), 1)
    ]
    scores = {k: v for k, v in identity.items() if k not in ("badges", "references")}
    return {"characters": characters, "consistency": scores}


def _safe(name: str) -> str:
    """A character's name as a file name: letters, digits, dashes."""
    kept = "".join(ch if ch.isalnum() else "-" for ch in name.casefold()).strip("-")
    return kept or "character"


def _place(source: Path | bytes, out_dir: Path, entry: dict[str, Any]) -> None:
    """Copy ``source`` (a file, or the bytes themselves) to the entry's file unless that
    file already holds its sha."""
    target = out_dir / entry["file"]
    if holds(target, entry["sha256"]):
        return
    if isinstance(source, bytes):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, source.decode("utf-8"))
    else:
        copy_atomic(source, target)


def _shot_entry(
    shot: Shot, outputs: dict[str, Any], facts: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A shot, its panel and clip, each linked to its job (model, seed, cost); ``scores``
    holds the panel's consistency scores once the scoring stage has run (null before)."""
    key = str(shot.number)
    return shot_summary(shot) | {
        "panel": {
            "file": f"panels/shot_{shot.number:03d}.png",
            "sha256": outputs["panels"][key],
            **facts.get(shot.panel_job_id or "", {"job_id": shot.panel_job_id}),
            "scores": None,
        },
        "clip": {
            "file": f"clips/shot_{shot.number:03d}.mp4",
            "sha256": outputs["clips"][key],
            **facts.get(shot.clip_job_id or "", {"job_id": shot.clip_job_id}),
        },
    }
