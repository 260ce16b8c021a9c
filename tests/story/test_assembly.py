"""What a story run does before its last clip lands, and what is left after it.

The last shot's clip is held back (its job reports ``running`` until the test lets it
go): by then every panel must be scored, the contact sheet, storyboard PDF and webtoon
drawn, and every part of the video that does not need that clip encoded. Once it lands,
only the parts that need it are encoded, and the parts are joined without re-encoding.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from dbos import DBOS
from PIL import Image
from sqlalchemy import func, select

from storyreel.engine import waits
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.media import assemble as assemble_module
from storyreel.media.images import image_to_png
from storyreel.media.probe import probe_video
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status
from storyreel.store.models import DerivedAsset, IdentityScore, Job
from storyreel.story.assembly import PART
from storyreel.story.boards import PDF, WEBTOON
from storyreel.story.loader import load_story
from storyreel.story.pipeline import story_workflow
from storyreel.story.project import prepare_project
from storyreel.story.reuse import CONTACT_SHEET
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task
from tests.media.helpers import color_clip

SHOTS = 4
STORY = """
title: Held back
seed: 7
characters:
  - {{name: Mira, description: red hair and a green raincoat, references: [mira.png]}}
beats:
  - setting: night market
    shots:
{shots}
render:
  image_model: scripted:image
  video_model: scripted:video
  width: 192
  height: 108
  fps: 8
  transition_frames: 2
"""


class HeldScripted(ScriptedProvider):
    """Panels at once; clips are real MP4s; the last shot's clip (or, with ``hold`` set
    to "panel", its panel) runs until released."""

    clips: ClassVar[list[Path]]
    released: ClassVar[asyncio.Event]
    hold: ClassVar[str] = "clip"
    held_shot: ClassVar[int] = SHOTS

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        found = re.search(r"stall (\d+)", req.prompt)
        shot = int(found.group(1)) if found else 0
        stage = "clip" if req.task is Task.IMAGE_TO_VIDEO else "panel"
        held = shot == self.held_shot and stage == self.hold
        if req.task is not Task.IMAGE_TO_VIDEO:
            update = {"extra": req.extra | {"held": True}} if held else {}
            return await super().submit(
                req.model_copy(update=update), job_id=job_id, webhook_url=webhook_url
            )
        handle = await super().submit(
            req.model_copy(update={"extra": {"held": held}}), job_id=job_id, webhook_url=None
        )
        output = self.scratch_path(f"scripted-{job_id}", ".mp4")
        shutil.copyfile(self.clips[shot - 1], output)
        return handle.model_copy(update={"data": handle.data | {"clip": str(output)}})

    async def poll(self, handle: Handle) -> Status:
        if handle.data["script"].get("held") and not self.released.is_set():
            return Status(state=JobState.RUNNING)
        return await super().poll(handle)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        if "clip" in handle.data:
            return [RemoteArtifact(mime="video/mp4", path=handle.data["clip"])]
        return await super().result(handle)


@pytest.fixture
async def held(engine: Engine, tmp_path: Path) -> AsyncIterator[type[HeldScripted]]:
    HeldScripted.reset()
    HeldScripted.clips = [
        await color_clip(tmp_path / f"clip{n}.mp4", colour, size=(192, 108), fps=8, frames=8)
        for n, colour in enumerate(("0x3060A0", "0xA03060", "0x60A030", "0xE0E040"))
    ]
    HeldScripted.released = asyncio.Event()
    HeldScripted.hold = "clip"
    HeldScripted.held_shot = SHOTS
    await engine.add_provider(HeldScripted)
    yield HeldScripted


async def _count(rt: Runtime, query: Any) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(query) or 0)


async def _made(rt: Runtime, kind: str) -> int:
    return await _count(
        rt, select(func.count()).select_from(DerivedAsset).where(DerivedAsset.kind == kind)
    )


async def _until(check: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.2)


def count_encodes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every ffmpeg command the assembly runs from now on, in order."""
    encodes: list[list[str]] = []
    real = assemble_module.run_ffmpeg

    async def counted(args: list[str], **kwargs: Any) -> None:
        encodes.append(list(args))
        await real(args, **kwargs)

    monkeypatch.setattr(assemble_module, "run_ffmpeg", counted)
    return encodes


def write_story(tmp_path: Path) -> Path:
    shots = "\n".join(
        f"      - {{action: Mira walks past stall {n}, characters: [Mira], duration: 1}}"
        for n in range(1, SHOTS + 1)
    )
    (tmp_path / "story.yaml").write_text(STORY.format(shots=shots))
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (64, 64), (200, 60, 40))))
    return tmp_path / "story.yaml"


async def test_everything_but_the_last_clip_s_parts_is_made_before_it_lands(
    held: type[HeldScripted], rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_story(tmp_path)
    encodes = count_encodes(monkeypatch)
    loaded = load_story(tmp_path / "story.yaml", max_image_bytes=10**7, max_image_pixels=10**8)
    project_id = await prepare_project(rt, loaded)
    handle = await DBOS.start_workflow_async(story_workflow, project_id, str(tmp_path / "out"))

    async def three_clips_done() -> bool:
        done = select(func.count()).select_from(Job).where(Job.status == "succeeded")
        return await _count(rt, done.where(Job.model == "scripted:video")) == SHOTS - 1

    await _until(three_clips_done)

    async def panels_done_with() -> bool:
        scores = select(func.count(func.distinct(IdentityScore.shot_number)))
        boards = [await _made(rt, kind) for kind in (CONTACT_SHEET, PDF, WEBTOON)]
        return await _count(rt, scores) == SHOTS and boards == [1, 1, 1]

    # The last clip is still running: the panels' work is done all the same.
    await _until(panels_done_with)
    # Shots 1 and 2 have their clip and the next one: their parts are encoded. Shot 3's
    # crossfades into the held clip and waits for it.
    await _until(lambda: _count_parts(rt, 2))
    status = await DBOS.get_workflow_status_async(handle.workflow_id)
    assert status is not None and status.status == "PENDING"
    before = len(encodes)

    held.released.set()
    manifest = await waits.result(handle)

    after = encodes[before:]
    renders = [args for args in after if "-filter_complex" in args]
    joins = [args for args in after if "concat" in args]
    assert len(renders) == 2, "only the parts that need the last clip are encoded after it"
    assert len(joins) == 1 and joins[0][joins[0].index("-c") + 1] == "copy"
    assert await _made(rt, PART) == SHOTS
    video = probe_video(tmp_path / "out" / "story.mp4")
    assert video.frames == manifest["video"]["frames"] == SHOTS * 8 + (SHOTS - 1) * 2


async def _count_parts(rt: Runtime, parts: int) -> bool:
    return await _made(rt, PART) == parts


async def test_a_late_first_clip_holds_back_only_its_own_part(
    held: type[HeldScripted], rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clips land in any order (a clip that overtook the panels, a slow job): shot 1's is
    held, and the parts of shots 2 to 4, which have their clip and the next, are encoded
    meanwhile (they waited for shot 1's clip, then were all encoded after it)."""
    held.held_shot = 1
    encodes = count_encodes(monkeypatch)
    loaded = load_story(write_story(tmp_path), max_image_bytes=10**7, max_image_pixels=10**8)
    project_id = await prepare_project(rt, loaded)
    handle = await DBOS.start_workflow_async(story_workflow, project_id, str(tmp_path / "out"))
    await _until(lambda: _count_parts(rt, SHOTS - 1), seconds=60)
    clips = select(func.count()).select_from(Job).where(Job.model == "scripted:video")
    assert await _count(rt, clips.where(Job.status != "succeeded")) == 1  # shot 1's clip
    before = len(encodes)
    held.released.set()
    manifest = await waits.result(handle)
    renders = [args for args in encodes[before:] if "-filter_complex" in args]
    assert len(renders) == 1, "only shot 1's part needs its clip"
    assert await _made(rt, PART) == SHOTS
    assert manifest["video"]["frames"] == SHOTS * 8 + (SHOTS - 1) * 2


async def test_parts_are_encoded_while_a_later_panel_is_still_generating(
    held: type[HeldScripted], rt: Runtime, tmp_path: Path
) -> None:
    """A story's last panel can land late (a slow model, a retry): the video's first parts
    must not wait for it (they waited for every panel, and then for the contact sheet and
    the boards)."""
    held.hold = "panel"
    loaded = load_story(write_story(tmp_path), max_image_bytes=10**7, max_image_pixels=10**8)
    project_id = await prepare_project(rt, loaded)
    handle = await DBOS.start_workflow_async(story_workflow, project_id, str(tmp_path / "out"))
    # Shots 1 and 2 have their clip and the next one: their parts are encoded while shot
    # 4's panel (so its clip, and shot 3's part, which crossfades into it) is held.
    await _until(lambda: _count_parts(rt, 2), seconds=60)
    images = select(func.count()).select_from(Job).where(Job.model == "scripted:image")
    assert await _count(rt, images.where(Job.status != "succeeded")) == 1  # shot 4's panel
    held.released.set()
    manifest = await waits.result(handle)
    assert await _made(rt, PART) == SHOTS
    assert manifest["video"]["frames"] == SHOTS * 8 + (SHOTS - 1) * 2
