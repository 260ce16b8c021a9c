"""The last step of a story's video: its soundtrack (narration over a ducked music bed),
burned-in captions when asked, and the extra renders (9:16, 1:1 ...) of the same cut.

Everything here is derived from finished assets, so each output is keyed by a recipe
(the video, every line's audio and start, the music and its level, the captions, the
frame size) and reused on a re-run that changes none of them (``reuse.py``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dbos import DBOS

from storyreel.engine.blips import survives_db_blips
from storyreel.engine.runtime import Runtime, runtime
from storyreel.ids import content_hash
from storyreel.media.finish import finish_video
from storyreel.media.probe import VideoInfo
from storyreel.media.soundtrack import Cue, Ducking, mix_soundtrack
from storyreel.media.subtitles import Caption
from storyreel.media.thumbs import video_thumbnail
from storyreel.store.records import add_asset

from .narration import Spoken, captions_for, narration_lines, place_lines
from .project import load_project, story_of
from .reuse import RECIPE_VERSION, find_derived, remember_derived
from .schema import StoryDef
from .schema_sound import aspect_frame

RENDER = "render"


def _file_sha(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _music(rt: Runtime, story: StoryDef, music: dict[str, Any] | None) -> Path | None:
    if story.sound.music is not None:
        return story.sound.music
    if music is not None:
        return rt.assets.path(music["sha256"], music["mime"])
    return None


def spoken_lines(
    story: StoryDef, lines: list[dict[str, Any]], durations: list[float]
) -> list[Spoken]:
    by_number = {entry["line"]: entry for entry in lines}
    written = [line for line in narration_lines(story) if line.number in by_number]
    return place_lines(
        written,
        [float(by_number[line.number]["duration"]) for line in written],
        durations,
        fps=story.render.fps,
        transition_frames=story.render.transition_frames,
    )


async def _render(
    rt: Runtime,
    video: Path,
    *,
    size: tuple[int, int] | None,
    track: Path | None,
    captions: list[Caption],
    recipe: str,
) -> dict[str, Any]:
    async with rt.db.session() as session:
        if (made := await find_derived(session, rt.assets, recipe)) is not None:
            return made
    out = rt.scratch_dir / "finish" / f"{recipe[:16]}.mp4"
    info = await finish_video(video, out, size=size, audio=track, captions=captions)
    row = video_row(rt, out, info)
    out.unlink(missing_ok=True)
    async with rt.db.session() as session:
        await add_asset(session, row)
        await remember_derived(session, recipe, RENDER, row["sha256"])
    return row


def video_row(rt: Runtime, path: Path, info: VideoInfo) -> dict[str, Any]:
    """Put a finished MP4 and its thumbnail in the asset store; return its asset row."""
    thumb_sha, _ = rt.assets.put(video_thumbnail(path), "image/jpeg")
    sha, stored = rt.assets.put_file(path, "video/mp4")
    return {
        "sha256": sha,
        "mime": "video/mp4",
        "size": stored.stat().st_size,
        "width": info.width,
        "height": info.height,
        "frames": info.frames,
        "duration": info.duration,
        "thumbnail_sha256": thumb_sha,
    }


@DBOS.step(name="storyreel.story.finish")
@survives_db_blips
async def finish(project_id: str, video: dict[str, Any], sound: dict[str, Any]) -> dict[str, Any]:
    """The story's video with its sound (and captions), and one render per export aspect.

    ``sound``: ``lines`` (each line's number, audio sha, mime, duration), ``music`` (an
    asset row or None) and ``durations`` (the shots' final lengths)."""
    rt = runtime()
    story = story_of(await load_project(rt, project_id))
    spoken = spoken_lines(story, sound["lines"], sound["durations"])
    shas = {entry["line"]: entry for entry in sound["lines"]}
    music = _music(rt, story, sound.get("music"))
    captions = captions_for(spoken)
    burned = captions if story.sound.burn_captions else []
    source = rt.assets.path(video["sha256"], "video/mp4")
    mix = {
        "cues": [[s.start, shas[s.line.number]["sha256"]] for s in spoken],
        "music": _file_sha(music) if music is not None else None,
        "volume": story.sound.music_volume,
        "duck": story.sound.duck,
    }
    result: dict[str, Any] = {
        "spoken": [
            {"line": s.line.number, "start": s.start, "end": s.end, "text": s.line.text}
            for s in spoken
        ],
        "captions": [[c.start, c.end, c.text] for c in captions],
        "renders": {},
    }
    has_sound = bool(spoken) or music is not None
    targets: list[tuple[str | None, tuple[int, int] | None]] = [(None, None)]
    targets += [(aspect, aspect_frame(story.size, aspect)) for aspect in story.exports.aspects]
    track = rt.scratch_dir / "finish" / f"{content_hash(mix)[:16]}.m4a"
    try:
        for aspect, size in targets:
            if aspect is None and not has_sound and not burned:
                result["video"] = video
                continue
            recipe = content_hash(
                {
                    "kind": RENDER,
                    "version": RECIPE_VERSION,
                    "video": video["sha256"],
                    "mix": mix if has_sound else None,
                    "captions": [[c.start, c.end, c.text] for c in burned],
                    "size": list(size) if size else None,
                }
            )
            if has_sound and not track.exists():
                track.parent.mkdir(parents=True, exist_ok=True)
                await mix_soundtrack(
                    [Cue(s.start, _audio_path(rt, shas[s.line.number])) for s in spoken],
                    track,
                    duration=float(video["duration"]),
                    music=music,
                    music_volume=story.sound.music_volume,
                    ducking=Ducking() if story.sound.duck else None,
                )
            row = await _render(
                rt,
                source,
                size=size,
                track=track if has_sound else None,
                captions=burned,
                recipe=recipe,
            )
            if aspect is None:
                result["video"] = row
            else:
                result["renders"][aspect] = row
    finally:
        track.unlink(missing_ok=True)
    return result


def _audio_path(rt: Runtime, entry: dict[str, Any]) -> Path:
    return rt.assets.path(entry["sha256"], entry["mime"])
