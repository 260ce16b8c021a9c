from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.errors import InputError
from storyreel.media.audio import encode_pcm, probe_audio, read_mono
from storyreel.media.scratch_voice import fake_speech, speech_seconds, tone_samples
from storyreel.media.soundtrack import Cue, Ducking, mix_soundtrack
from tests.media.audio_helpers import rms, tone_level, window

LINE = "Mira runs along the harbour wall as the storm breaks."


@pytest.fixture
def music(tmp_path: Path) -> Path:
    """Two seconds of a 220 Hz tone: far below the voice's 480-960 Hz syllables."""
    path = tmp_path / "music.wav"
    path.write_bytes(encode_pcm(tone_samples(2.0, rate=16_000), rate=16_000, fmt="wav"))
    return path


@pytest.fixture
def voice(tmp_path: Path) -> Path:
    path = tmp_path / "line.mp3"
    path.write_bytes(fake_speech(LINE))
    return path


async def test_music_ducks_under_narration_and_comes_back(
    tmp_path: Path, music: Path, voice: Path
) -> None:
    out = tmp_path / "track.m4a"
    info = await mix_soundtrack([Cue(2.0, voice)], out, duration=9.0, music=music)
    assert info.duration == pytest.approx(9.0, abs=0.05)
    samples = read_mono(out)
    spoken = speech_seconds(LINE)
    before = tone_level(window(samples, 0.5, 1.8), 220)
    under = tone_level(window(samples, 2.6, 2.0 + spoken - 0.3), 220)
    after = tone_level(window(samples, 2.0 + spoken + 1.2, 8.8), 220)
    # The music loops (2 s file, 9 s track) and drops by more than half under the voice.
    assert before > 100 and after > 100
    assert under < before * 0.5
    assert after == pytest.approx(before, rel=0.2)


async def test_without_ducking_the_music_stays_level(
    tmp_path: Path, music: Path, voice: Path
) -> None:
    out = tmp_path / "flat.m4a"
    await mix_soundtrack([Cue(2.0, voice)], out, duration=8.0, music=music, ducking=None)
    samples = read_mono(out)
    before = tone_level(window(samples, 0.5, 1.8), 220)
    under = tone_level(window(samples, 2.6, 4.0), 220)
    assert under == pytest.approx(before, rel=0.2)


async def test_narration_lands_where_it_is_cued(tmp_path: Path, voice: Path) -> None:
    out = tmp_path / "voice.m4a"
    await mix_soundtrack([Cue(3.0, voice)], out, duration=10.0)
    samples = read_mono(out)
    assert rms(window(samples, 0.0, 2.9)) < 30
    assert rms(window(samples, 3.3, 3.0 + speech_seconds(LINE) - 0.3)) > 500
    assert probe_audio(out).duration == pytest.approx(10.0, abs=0.05)


async def test_a_line_longer_than_the_video_is_cut_at_its_end(tmp_path: Path, voice: Path) -> None:
    out = tmp_path / "cut.m4a"
    info = await mix_soundtrack([Cue(1.0, voice)], out, duration=2.0)
    assert info.duration == pytest.approx(2.0, abs=0.05)


async def test_bad_inputs_are_one_clear_error(tmp_path: Path, voice: Path) -> None:
    out = tmp_path / "x.m4a"
    with pytest.raises(InputError, match="positive duration"):
        await mix_soundtrack([Cue(0, voice)], out, duration=0)
    with pytest.raises(InputError, match="unusable"):
        await mix_soundtrack([Cue(0, tmp_path / "missing.mp3")], out, duration=2)
    with pytest.raises(InputError, match="music file"):
        await mix_soundtrack([], out, duration=2, music=tmp_path / "none.wav")
    with pytest.raises(InputError, match="volume"):
        await mix_soundtrack([], out, duration=2, music=voice, music_volume=9)
    assert not out.exists()


def test_ducking_settings_reach_the_graph() -> None:
    from storyreel.media.soundtrack import build_graph

    graph = build_graph(
        [Cue(1.5, Path("a.mp3"))],
        duration=5,
        music_input=1,
        music_volume=0.5,
        ducking=Ducking(threshold=0.05, ratio=4),
    )
    assert "adelay=delays=1500" in graph
    assert "sidechaincompress=threshold=0.05:ratio=4" in graph
