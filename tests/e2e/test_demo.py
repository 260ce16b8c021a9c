"""The README's main command: ``storyreel demo`` end to end, offline, in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.media.probe import probe_video
from storyreel.media.timeline import plan_timeline

from .helpers import cli_env, query, storyreel

pytestmark = pytest.mark.slow


def test_demo_makes_panels_contact_sheet_and_a_video_of_the_planned_length(tmp_path: Path) -> None:
    result = storyreel("demo", "--out", "out", env=cli_env(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    shots = manifest["shots"]
    assert len(shots) >= 6
    assert all((out / s["panel"]["file"]).is_file() for s in shots)
    assert (out / "contact_sheet.png").stat().st_size > 10_000
    video = probe_video(out / "story.mp4")
    planned = plan_timeline([s["duration"] for s in shots], fps=24, transition_frames=12)
    assert video.frames == planned.total_frames == manifest["video"]["frames"]
    assert video.duration == pytest.approx(planned.total_duration)
    assert video.codec == "h264"
    assert "Done in" in result.stdout
    assert "cost $0.00" in result.stdout and "$0.000" not in result.stdout
    thumbs = dict(query(tmp_path / "data", "SELECT sha256, thumbnail_sha256 FROM assets"))
    images = [s["panel"]["sha256"] for s in shots] + [manifest["contact_sheet"]["sha256"]]
    assert all(thumbs.get(sha) for sha in images), "every image has a 150 px thumbnail"
    assert thumbs.get(manifest["video"]["sha256"]), "the video has one too"
