"""The story's video, assembled while its clips are still being generated.

Each shot's part (its clip conformed to its length, then the crossfade into the next
clip: ``media.assemble.render_clip_part``) is encoded in a child workflow of the story's
(``pipeline.part_workflow``) as soon as its clip and the next shot's clip exist, in
whatever order the clips land. When the last clip lands only the parts that need it are
left to encode, and the parts are joined without re-encoding. Parts are
derived assets keyed by the hash of what decides their frames (``reuse.py``), so an
unchanged re-run encodes none, and one that is missing (a crash before it was stored) is
simply made by ``assemble``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dbos import DBOS

from storyreel.engine.blips import survives_db_blips
from storyreel.engine.runtime import Runtime, runtime
from storyreel.errors import StoryreelError
from storyreel.ids import content_hash
from storyreel.media.assemble import join_parts, render_clip_part
from storyreel.media.timeline import plan_timeline
from storyreel.store.models import Shot
from storyreel.store.records import add_asset
from storyreel.testing.chaos import crash_point

from .finishing import video_row
from .project import load_project, story_of
from .reuse import ASSEMBLY, RECIPE_VERSION, assembly_recipe, find_derived, remember_derived
from .schema import StoryDef

PART = "assembly_part"
PART_WORKFLOW_NAME = "storyreel.story.part"

log = logging.getLogger(__name__)


def final_durations(shots: Sequence[Shot], fitted: Sequence[float | None] | None) -> list[float]:
    """Each shot's length in the video: fitted to its narration where it was, else planned."""
    chosen = list(fitted) if fitted is not None else [None] * len(shots)
    return [f if f is not None else shot.duration for shot, f in zip(shots, chosen, strict=True)]


@DBOS.step(name="storyreel.story.durations")
@survives_db_blips
async def shot_durations(project_id: str, fitted: list[float | None]) -> list[float]:
    project = await load_project(runtime(), project_id)
    return final_durations(project.shots, fitted)


def part_recipe(story: StoryDef, clip: str, following: str | None, frames: int) -> str:
    """The hash of what decides a part's frames: its clip, the next one (whose first frame
    the crossfade reads), its length and the video's settings."""
    width, height = story.size
    fade = story.render.transition_frames
    return content_hash(
        {
            "kind": PART,
            "version": RECIPE_VERSION,
            "clip": clip,
            "following": following if fade else None,
            "frames": frames,
            "fps": story.render.fps,
            "size": [width, height],
            "transition_frames": fade,
        }
    )


async def _make_part(
    rt: Runtime, story: StoryDef, clip: str, following: str | None, frames: int
) -> Path:
    """The part's file in the asset store, encoded unless a run already made it."""
    recipe = part_recipe(story, clip, following, frames)
    async with rt.db.session() as session:
        if (made := await find_derived(session, rt.assets, recipe)) is not None:
            return rt.assets.path(made["sha256"], "video/mp4")
    out = rt.scratch_dir / "parts" / f"{recipe[:16]}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    width, height = story.size
    await render_clip_part(
        rt.assets.path(clip, "video/mp4"),
        None if following is None else rt.assets.path(following, "video/mp4"),
        out,
        fps=story.render.fps,
        width=width,
        height=height,
        transition_frames=story.render.transition_frames,
        frames=frames,
    )
    sha, stored = rt.assets.put_file(out, "video/mp4")
    out.unlink(missing_ok=True)
    async with rt.db.session() as session:
        await add_asset(
            session, {"sha256": sha, "mime": "video/mp4", "size": stored.stat().st_size}
        )
        await remember_derived(session, recipe, PART, sha)
    return stored


@DBOS.step(name="storyreel.story.clip_part")
@survives_db_blips
async def clip_part(
    project_id: str, shot_number: int, clip: str, following: str | None, duration: float | None
) -> None:
    """Encode one shot's part of the video now, while other clips are still generating
    (``duration``: the shot's length fitted to its narration, None: as planned). A step of
    the shot's part workflow (``pipeline.part_workflow``), beside the story's."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    shot = next(s for s in project.shots if s.number == shot_number)
    (length,) = final_durations([shot], [duration])
    (frames,) = plan_timeline(
        [length], story.render.fps, story.render.transition_frames
    ).clip_frames
    try:
        await _make_part(rt, story, clip, following, frames)
    except StoryreelError as exc:
        # Only a head start: ``assemble`` makes a missing part, and reports what is wrong
        # with a clip as the assembly's error.
        log.warning("part of shot %s left to the assembly: %s", shot_number, exc)


@DBOS.step(name="storyreel.story.assemble")
@survives_db_blips
async def assemble(
    project_id: str, clips: list[str], fitted: list[float | None] | None = None
) -> dict[str, Any]:
    """Join the clips with crossfades into one MP4 in the asset store, unless these clips
    were already joined with these settings (an unchanged re-run): then that video. The
    parts the shots' workflows made are joined as they are; only missing ones are encoded."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    width, height = story.size
    # ``clips`` are in shot-number order, like ``project.shots``: each clip is conformed to
    # its shot's planned length (or the length fitted to its narration), whatever length
    # the model returned.
    durations = final_durations(project.shots, fitted)
    recipe = assembly_recipe(
        clips,
        fps=story.render.fps,
        width=width,
        height=height,
        transition_frames=story.render.transition_frames,
        durations=durations,
    )
    async with rt.db.session() as session:
        if (made := await find_derived(session, rt.assets, recipe)) is not None:
            return made
    timeline = plan_timeline(durations, story.render.fps, story.render.transition_frames)
    parts = [
        await _make_part(rt, story, clip, clips[i + 1] if i + 1 < len(clips) else None, frames)
        for i, (clip, frames) in enumerate(zip(clips, timeline.clip_frames, strict=True))
    ]
    out = rt.scratch_dir / "assembly" / f"{project_id}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    info = await join_parts(parts, out, total_frames=timeline.total_frames)
    crash_point("during_assembly")
    row = video_row(rt, out, info)
    async with rt.db.session() as session:
        await add_asset(session, row)
        await remember_derived(session, recipe, ASSEMBLY, row["sha256"])
    return row
