"""The recent prompts panel's source: newest first, no repeats, no story prompts, capped."""

from __future__ import annotations

import pytest

from storyreel.engine import jobs as job_rows
from storyreel.engine.runtime import Runtime
from storyreel.services.prompts import recent_prompts
from storyreel.vocabulary import GenerationRequest, Task


def sketch(prompt: str, seed: int = 1) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt=prompt, seed=seed
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_newest_first_distinct_and_without_story_jobs(rt: Runtime) -> None:
    await job_rows.create_job(rt.db, sketch("a lighthouse"))
    await job_rows.create_job(rt.db, sketch("a harbour"))
    await job_rows.create_job(rt.db, sketch("a lighthouse", seed=2))
    await job_rows.create_job(rt.db, sketch("panel 3 of a story"), project_id="01" + "0" * 24)
    await job_rows.create_job(rt.db, sketch("   "))
    assert await recent_prompts(rt) == ["a lighthouse", "a harbour"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_capped_at_the_limit(rt: Runtime) -> None:
    for n in range(5):
        await job_rows.create_job(rt.db, sketch(f"prompt {n}"))
    assert await recent_prompts(rt, limit=3) == ["prompt 4", "prompt 3", "prompt 2"]
