"""A narrated story end to end, offline: voice jobs, shots stretched to their lines, the
soundtrack in the MP4 (read back with PyAV), music ducked under the voice, subtitles read
back, an extra 9:16 render, the storyboard PDF and webtoon read back from disk, and the
manifest linking every output to its job."""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import pypdf
import pytest
from PIL import Image
from sqlalchemy import select

from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.errors import InputError
from storyreel.media.audio import encode_pcm, probe_audio, read_mono
from storyreel.media.probe import probe_video
from storyreel.media.scratch_voice import speech_seconds, tone_samples
from storyreel.store.models import DerivedAsset, Job
from storyreel.story.runner import run_story
from tests.media.audio_helpers import tone_level, window
from tests.media.helpers import frame_image, mean_diff
from tests.media.test_subtitles import parse

LONG = (
    "The storm rolls in from the west, the harbour lights go out one by one, and Mira "
    "knows the ship will never find the channel without the great lamp."
)
SHORT = "Tomas lights the lamp."
BEAT = "Morning comes grey and quiet over the water."

STORY = f"""
title: Narrated
characters:
  - {{name: Mira, description: a young woman with long red hair}}
  - {{name: Tomas, description: an old keeper with a white beard}}
beats:
  - setting: harbour at dusk
    shots:
      - {{action: Mira runs along the wall, characters: [Mira], duration: 1, narration: "{LONG}"}}
      - {{action: Tomas climbs the stairs, characters: [Tomas], duration: 1.5,
          narration: "{SHORT}", dialogue: "TOMAS: Hold on!"}}
  - setting: harbour at dawn
    narration: "{BEAT}"
    shots:
      - {{action: The ship is safe, duration: 1}}
      - {{action: Mira smiles, characters: [Mira], duration: 1}}
render:
  width: 192
  height: 108
  fps: 8
  transition_frames: 2
sound:
  music: music.wav
  music_volume: 0.5
  fit_narration: true
  burn_captions: true
exports:
  aspects: ["9:16"]
"""


def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=0.05,
        retry_base_delay=0.01,
    )


@pytest.fixture
async def narrated(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    (tmp_path / "music.wav").write_bytes(
        encode_pcm(tone_samples(3.0, rate=16_000), rate=16_000, fmt="wav")
    )
    story = tmp_path / "story.yaml"
    story.write_text(STORY)
    out = tmp_path / "out"
    manifest = await run_story(settings(tmp_path), story, out)
    return out, manifest


def frames(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame_image(frame) for frame in container.decode(video=0)]


def audio_stream_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return len(container.streams.audio)


async def test_narrated_story_has_its_voice_music_subtitles_and_exports(
    tmp_path: Path, narrated: tuple[Path, dict[str, Any]]
) -> None:
    out, manifest = narrated
    video = out / "story.mp4"
    info = probe_video(video)
    assert audio_stream_count(video) == 1
    assert probe_audio(video).duration == pytest.approx(info.duration, abs=0.1)
    assert manifest["video"]["sound"] is True

    # Shot 1 (1 s planned) is stretched to hold its long line; the others fit already.
    lines = {entry["line"]: entry for entry in manifest["narration"]}
    assert [lines[n]["text"] for n in (1, 2, 3)] == [LONG, SHORT, BEAT]
    for entry in lines.values():
        assert entry["seconds"] == pytest.approx(speech_seconds(entry["text"]), abs=0.1)
        assert probe_audio(out / entry["file"]).duration == pytest.approx(entry["seconds"], 0.05)
        assert entry["job_id"] and entry["model"] == "voice:scratch"
        assert Decimal(entry["cost_usd"]) == 0
    assert lines[1]["end"] <= lines[2]["start"]
    assert info.duration > 1 + 1.5 + 1 + 1 + 3 * 2 / 8 + speech_seconds(LONG) - 1.5

    # Music ducks under the voice: the 220 Hz bed is quieter while the first line plays.
    samples = read_mono(video)
    under = tone_level(window(samples, lines[1]["start"] + 0.5, lines[1]["end"] - 0.5), 220)
    gap_start = lines[2]["end"] + 0.4
    clear = tone_level(window(samples, gap_start, min(gap_start + 0.6, lines[3]["start"])), 220)
    assert under < clear * 0.6

    # Subtitles read back: every line, in order, inside the video.
    srt = parse((out / "story.srt").read_text(), vtt=False)
    vtt = parse((out / "story.vtt").read_text(), vtt=True)
    assert srt == vtt
    assert " ".join(c.text.replace("\n", " ") for c in srt) == f"{LONG} {SHORT} {BEAT}"
    assert all(0 <= c.start < c.end <= info.duration + 0.01 for c in srt)

    # The 9:16 render of the same cut, with the same sound.
    short = manifest["renders"]["9:16"]
    render = probe_video(out / short["file"])
    assert (render.width, render.height, render.frames) == (108, 192, info.frames)
    assert audio_stream_count(out / short["file"]) == 1

    # Paper: 4 shots on 2 PDF pages, the webtoon 800 px wide.
    reader = pypdf.PdfReader(out / "storyboard.pdf")
    assert len(reader.pages) == math.ceil(4 / 3)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "TOMAS: Hold on!" in text and "Shot 4" in text
    for part in manifest["webtoon"]:
        width, height = Image.open(out / part["file"]).size
        assert width == 800 and height <= 20_000

    # Every output names its job, model, seed and cost; panels keep a slot for scores.
    for shot in manifest["shots"]:
        for kind in ("panel", "clip"):
            entry = shot[kind]
            assert entry["job_id"] and entry["model"] and entry["seed"] is not None
            assert Decimal(entry["cost_usd"]) == 0
        assert shot["panel"]["scores"] is None
    assert json.loads((out / "manifest.json").read_text()) == manifest
    for part in manifest["webtoon"]:
        Image.open(io.BytesIO((out / part["file"]).read_bytes())).verify()

    # An unchanged re-run buys nothing (one submit per voice job) and writes nothing.
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = await run_story(settings(tmp_path), tmp_path / "story.yaml", out)
    assert again == manifest
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    async with Engine(settings(tmp_path)) as engine:
        assert engine.runtime is not None
        async with engine.runtime.db.session() as session:
            voices = (
                (await session.execute(select(Job).where(Job.model == "voice:scratch")))
                .scalars()
                .all()
            )
    assert len(voices) == 3 and all(job.submit_attempts == 1 for job in voices)

    # Captions are burned in while spoken only: the final video differs from the silent
    # assembly in the caption band during a line, and not in a pause between lines.
    assert manifest["subtitles"]["burned_in"] is True
    async with Engine(settings(tmp_path)) as engine:
        assert engine.runtime is not None
        async with engine.runtime.db.session() as session:
            silent_sha = await session.scalar(
                select(DerivedAsset.asset_sha256).where(DerivedAsset.kind == "assembly")
            )
        silent = engine.runtime.assets.path(str(silent_sha), "video/mp4")
    fps = 8
    band = (10, 80, 182, 104)
    spoken_at = round((lines[1]["start"] + 1.0) * fps)
    pause_at = round((lines[2]["end"] + 0.5) * fps)
    assert pause_at < round(lines[3]["start"] * fps)
    finals, silents = frames(video), frames(silent)
    assert mean_diff(finals[spoken_at].crop(band), silents[spoken_at].crop(band)) > 20
    assert mean_diff(finals[pause_at].crop(band), silents[pause_at].crop(band)) < 6


async def test_a_music_file_that_is_not_audio_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "music.wav").write_bytes(b"not audio")
    story = tmp_path / "story.yaml"
    story.write_text(STORY)
    with pytest.raises(InputError, match=r"music music\.wav"):
        await run_story(settings(tmp_path), story, tmp_path / "out")
    assert not (tmp_path / "out").exists()
