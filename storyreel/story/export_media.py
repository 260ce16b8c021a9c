"""The manifest entries and files of a story's sound and paper exports, and the facts
that link every output to the job that made it.

``export.py`` writes the folder; this module says what goes in it besides panels, clips,
the contact sheet and the video: each narration line's audio, the music, the subtitles
(SRT and WebVTT), the extra aspect renders, the storyboard PDF and the webtoon parts. Each
entry names its file and sha256 (so an unchanged folder is recognised, ``reuse.py``) and,
where a job made it, that job's id, model, seed and cost. Every shot keeps a ``scores``
slot for the consistency scores of its panel (filled by the scoring stage, null until).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storyreel.engine.runtime import Runtime
from storyreel.media.subtitles import Caption, to_srt, to_vtt
from storyreel.store.assets import extension_for
from storyreel.store.models import Job

from .schema import StoryDef

Copy = tuple[Path | bytes, dict[str, Any]]
"""What to write: the asset's file (or the text's bytes) and its manifest entry."""


async def job_facts(rt: Runtime, job_ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """Each job's provider, model, seed and final cost, by id."""
    wanted = sorted({job_id for job_id in job_ids if job_id})
    async with rt.db.session() as session:
        rows = (await session.execute(select(Job).where(Job.id.in_(wanted)))).scalars().all()
    return {
        job.id: {
            "job_id": job.id,
            "provider": job.provider,
            "model": job.model,
            "seed": (job.request or {}).get("seed"),
            "cost_usd": str(Decimal(str(job.cost_usd))) if job.cost_usd is not None else None,
        }
        for job in rows
    }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sound_and_boards(
    rt: Runtime, story: StoryDef, outputs: dict[str, Any], facts: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], list[Copy]]:
    """The manifest's ``narration``, ``music``, ``subtitles``, ``renders``,
    ``storyboard_pdf`` and ``webtoon`` entries, and the files they name."""
    sound = outputs.get("sound") or {}
    boards = outputs.get("boards") or {}
    copies: list[Copy] = []
    spoken = {entry["line"]: entry for entry in sound.get("spoken", [])}
    narration = []
    for line in sound.get("lines", []):
        entry = {
            "line": line["line"],
            "text": spoken.get(line["line"], {}).get("text"),
            "start": spoken.get(line["line"], {}).get("start"),
            "end": spoken.get(line["line"], {}).get("end"),
            "seconds": line["duration"],
            "file": f"narration/line_{line['line']:03d}{extension_for(line['mime'])}",
            "sha256": line["sha256"],
            **facts.get(line["job_id"], {"job_id": line["job_id"]}),
        }
        narration.append(entry)
        copies.append((rt.assets.path(line["sha256"], line["mime"]), entry))
    part: dict[str, Any] = {"narration": narration, "music": None, "subtitles": None}
    if story.sound.music is not None:
        part["music"] = {"source": str(story.sound.music), "volume": story.sound.music_volume}
    elif sound.get("music"):
        job_id = sound["music"]["job_id"]
        part["music"] = facts.get(job_id, {"job_id": job_id}) | {"volume": story.sound.music_volume}
    captions = [Caption(*c) for c in sound.get("captions", [])]
    if story.sound.subtitles and captions:
        subtitles = {}
        for name, text in (("srt", to_srt(captions)), ("vtt", to_vtt(captions))):
            data = text.encode("utf-8")
            subtitles[name] = {"file": f"story.{name}", "sha256": _sha(data)}
            copies.append((data, subtitles[name]))
        part["subtitles"] = subtitles | {"burned_in": story.sound.burn_captions}
    renders = {}
    for aspect, row in (sound.get("renders") or {}).items():
        entry = {"file": f"story_{aspect.replace(':', 'x')}.mp4", "aspect": aspect}
        entry |= {k: row[k] for k in ("sha256", "frames", "duration", "width", "height")}
        renders[aspect] = entry
        copies.append((rt.assets.path(row["sha256"], "video/mp4"), entry))
    part["renders"] = renders
    part["storyboard_pdf"] = None
    if boards.get("storyboard_pdf"):
        pdf = {"file": "storyboard.pdf", "sha256": boards["storyboard_pdf"]}
        part["storyboard_pdf"] = pdf
        copies.append((rt.assets.path(pdf["sha256"], "application/pdf"), pdf))
    part["webtoon"] = []
    for index, sha in enumerate(boards.get("webtoon") or [], 1):
        entry = {"file": f"webtoon/part_{index:02d}.png", "sha256": sha}
        part["webtoon"].append(entry)
        copies.append((rt.assets.path(sha, "image/png"), entry))
    return part, copies
