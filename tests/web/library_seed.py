"""A library to look at: jobs with real small images (and their 150 px thumbnails) in the
asset store, made through the store's API, ordered by id so "the 101st card" is known."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from PIL import Image
from ulid import ULID

from storyreel.engine.runtime import Runtime
from storyreel.ids import content_hash
from storyreel.media.images import make_thumbnail
from storyreel.store.models import Asset, IdentityScore, Job, JobOutput, Project

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    job_id: str
    sha256: str
    prompt: str
    model: str


def _png(number: int) -> bytes:
    buffer = io.BytesIO()
    color = (number * 37 % 256, number * 11 % 256, 90 + number % 120)
    Image.new("RGB", (96, 64), color).save(buffer, format="PNG")
    return buffer.getvalue()


def prompt_of(number: int) -> str:
    return f"a lighthouse at dusk, take {number}"


async def seed_library(
    rt: Runtime,
    count: int,
    *,
    videos: int = 0,
    hostile: str | None = None,
    day_step: timedelta = timedelta(minutes=1),
) -> list[Seeded]:
    """``count`` image jobs (one output each) made ``day_step`` apart from ``START``, the
    newest last; every third in a project; then ``videos`` video jobs. ``hostile``
    replaces the newest image's prompt."""
    async with rt.db.session() as session:
        project = Project(title="Lighthouse story", story_hash="0" * 64, story={}, seed=1)
        session.add(project)
        await session.flush()
        made = []
        for number in range(count + videos):
            video = number >= count
            moment = START + day_step * number
            job_id = str(ULID.from_datetime(moment))
            prompt = prompt_of(number)
            if hostile is not None and number == count - 1:
                prompt = hostile
            model = "motion:sim-video" if video else ("sketch:previz" if number % 2 else "fal:flux")
            data = _png(number)
            thumb_sha, _ = rt.assets.put(make_thumbnail(data), "image/jpeg")
            if video:
                data = b"not really an mp4 %d" % number
                sha, _ = rt.assets.put(data, "video/mp4")
                mime, width, height, duration = "video/mp4", 1280, 720, 5.0
            else:
                sha, _ = rt.assets.put(data, "image/png")
                mime, width, height, duration = "image/png", 96, 64, None
            request = {"task": "text-to-image", "model": model, "prompt": prompt, "seed": number}
            session.add(
                Job(
                    id=job_id,
                    task="image-to-video" if video else "text-to-image",
                    provider=model.split(":")[0],
                    model=model,
                    status="succeeded",
                    request=request,
                    request_hash=content_hash(request),
                    cost_usd=Decimal("0.0425"),
                    project_id=project.id if number % 3 == 0 else None,
                    created_at=moment,
                )
            )
            session.add(
                Asset(
                    sha256=sha,
                    mime=mime,
                    size=len(data),
                    width=width,
                    height=height,
                    duration=duration,
                    thumbnail_sha256=thumb_sha,
                    source_job_id=job_id,
                )
            )
            await session.flush()
            session.add(JobOutput(job_id=job_id, position=0, asset_sha256=sha, mime=mime))
            made.append(Seeded(job_id, sha, prompt, model))
        scored = made[0]
        session.add(
            IdentityScore(
                project_id=project.id,
                shot_number=1,
                candidate=0,
                panel_sha256=scored.sha256,
                character="Mara",
                scorer="test",
                cross=0.87,
                self_score=0.91,
            )
        )
    return made
