"""Nothing redone: an unchanged story re-run assembles nothing and writes nothing, and a
changed transition re-makes only the video.

The stories run in this process (the engine started and stopped per run, like two CLI
invocations sharing a data dir); ``assemble_video`` and ``render_contact_sheet`` are
wrapped by counters that still call the real functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.media.probe import probe_video
from storyreel.store.exports import file_sha256
from storyreel.store.models import Job
from storyreel.story import assembly, boards
from storyreel.story.reuse import export_is_current, listed_files
from storyreel.story.runner import run_story

STORY = """
title: Reuse
characters:
  - {name: Mira, description: a young woman with long red hair}
beats:
  - setting: harbour at dusk
    shots:
      - {action: Mira runs along the wall, characters: [Mira], duration: 1}
      - {action: Mira climbs the stairs, characters: [Mira], duration: 1}
render:
  width: 192
  height: 108
  fps: 8
  transition_frames: 2
"""


class Counted:
    """Calls the real function and counts the calls."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return await self.real(*args, **kwargs)

    def sync(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def assemblies(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counted = Counted(assembly.join_parts)
    monkeypatch.setattr(assembly, "join_parts", counted)
    return counted


@pytest.fixture
def sheets(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counted = Counted(boards.render_contact_sheet)
    monkeypatch.setattr(boards, "render_contact_sheet", counted.sync)
    return counted


def mtimes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


async def job_totals(settings: Settings) -> tuple[int, int]:
    """(job rows, submit attempts over all jobs): both unchanged when nothing is bought."""
    async with Engine(settings) as engine:
        assert engine.runtime is not None
        async with engine.runtime.db.session() as session:
            rows = await session.scalar(select(func.count()).select_from(Job))
            submits = await session.scalar(select(func.sum(Job.submit_attempts)))
    return int(rows or 0), int(submits or 0)


async def test_an_unchanged_rerun_assembles_and_writes_nothing(
    tmp_path: Path, backend_settings: Settings, assemblies: Counted, sheets: Counted
) -> None:
    story, out = tmp_path / "story.yaml", tmp_path / "out"
    story.write_text(STORY)
    first = await run_story(backend_settings, story, out)
    assert (assemblies.calls, sheets.calls) == (1, 1)
    before = mtimes(out)
    # panels, clips, video, sheet, manifest, storyboard PDF, one webtoon part, Mira's
    # character sheet
    assert len(before) == 2 + 2 + 2 + 1 + 2 + 1

    again = await run_story(backend_settings, story, out)

    assert (assemblies.calls, sheets.calls) == (1, 1)
    assert mtimes(out) == before
    assert again == first
    assert json.loads((out / "manifest.json").read_text()) == first


async def test_a_new_transition_reassembles_only_the_video(
    tmp_path: Path, settings: Settings, assemblies: Counted, sheets: Counted
) -> None:
    story, out = tmp_path / "story.yaml", tmp_path / "out"
    story.write_text(STORY)
    first = await run_story(settings, story, out)
    jobs_before = await job_totals(settings)
    before = mtimes(out)

    story.write_text(STORY.replace("transition_frames: 2", "transition_frames: 1"))
    changed = await run_story(settings, story, out)

    assert assemblies.calls == 2
    assert sheets.calls == 1, "same panels and captions: the contact sheet is reused"
    assert await job_totals(settings) == jobs_before, "no job created or submitted"
    assert changed["video"]["sha256"] != first["video"]["sha256"]
    assert changed["video"]["frames"] == first["video"]["frames"] - 1
    assert probe_video(out / "story.mp4").frames == changed["video"]["frames"]
    after = mtimes(out)
    rewritten = {name for name in before if after[name] != before[name]}
    assert rewritten == {"story.mp4", "manifest.json"}


async def test_a_damaged_export_or_a_lost_video_is_made_again(
    tmp_path: Path, settings: Settings, assemblies: Counted
) -> None:
    story, out = tmp_path / "story.yaml", tmp_path / "out"
    story.write_text(STORY)
    first = await run_story(settings, story, out)

    (out / "clips" / "shot_002.mp4").write_bytes(b"not the clip")
    assert not export_is_current(out, first)
    await run_story(settings, story, out)
    assert assemblies.calls == 1
    assert export_is_current(out, first)

    video = first["video"]["sha256"]
    stored = next((settings.data_path / "assets").rglob(f"{video}.mp4"))
    stored.unlink()
    again = await run_story(settings, story, out)
    assert assemblies.calls == 2, "the cached video's file is gone: it is made again"
    assert stored.is_file()
    assert again == first


def test_export_is_current_checks_every_listed_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"x")
    (tmp_path / "y.bin").write_bytes(b"y")
    manifest = {
        "shots": [{"clip": {"file": "a/x.bin", "sha256": file_sha256(tmp_path / "a" / "x.bin")}}],
        "video": {"file": "y.bin", "sha256": file_sha256(tmp_path / "y.bin")},
    }
    assert sorted(name for name, _ in listed_files(manifest)) == ["a/x.bin", "y.bin"]
    assert not export_is_current(tmp_path, manifest), "no manifest.json yet"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert export_is_current(tmp_path, manifest)
    assert not export_is_current(tmp_path, manifest | {"title": "other"})
    (tmp_path / "y.bin").unlink()
    assert not export_is_current(tmp_path, manifest)
