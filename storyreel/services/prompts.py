"""The prompts people typed lately, for the playground's "recent prompts" panel.

Read from the job table (every generation keeps its request), newest first and without
repeats. Jobs of a story project are left out: their prompts are composed from the story
and its characters, not typed."""

from __future__ import annotations

from sqlalchemy import select

from storyreel.engine.runtime import Runtime
from storyreel.store.models import Job

#: How many jobs are read to find ``limit`` distinct prompts: a bulk run repeats one prompt
#: across many jobs, and the panel stays cheap however long the history is.
SCAN_FACTOR = 10


async def recent_prompts(rt: Runtime, limit: int = 20) -> list[str]:
    """Up to ``limit`` distinct, non-empty prompts of jobs outside stories, newest first."""
    stmt = (
        select(Job.request)
        .where(Job.project_id.is_(None))
        .order_by(Job.id.desc())
        .limit(limit * SCAN_FACTOR)
    )
    async with rt.db.session() as session:
        requests = (await session.scalars(stmt)).all()
    seen: dict[str, None] = {}
    for request in requests:
        prompt = str((request or {}).get("prompt") or "").strip()
        if prompt and prompt not in seen:
            seen[prompt] = None
            if len(seen) == limit:
                break
    return list(seen)
