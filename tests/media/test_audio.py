from __future__ import annotations

import array
from pathlib import Path

import pytest

from storyreel.errors import MediaError
from storyreel.media.audio import encode_pcm, probe_audio, read_mono
from storyreel.media.scratch_voice import fake_speech, speech_seconds


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_fake_speech_is_real_audio_whose_length_follows_the_text(fmt: str) -> None:
    short = probe_audio(fake_speech("Hello there.", fmt=fmt))
    long_text = "At dusk a storm gathers over the harbour and Mira runs along the wall."
    long = probe_audio(fake_speech(long_text, fmt=fmt))
    assert short.duration == pytest.approx(speech_seconds("Hello there."), abs=0.06)
    assert long.duration == pytest.approx(speech_seconds(long_text), abs=0.06)
    assert long.duration > short.duration * 2
    assert long.codec.startswith("mp3" if fmt == "mp3" else "pcm")


def test_speed_shortens_speech() -> None:
    text = "one two three four five six seven eight"
    assert speech_seconds(text, speed=2.0) < speech_seconds(text)


def test_read_mono_and_encode_round_trip(tmp_path: Path) -> None:
    samples = array.array("h", [1000, -1000] * 4000)
    path = tmp_path / "a.wav"
    path.write_bytes(encode_pcm(samples, rate=8000, fmt="wav"))
    back = read_mono(path, rate=8000)
    assert len(back) == len(samples)
    assert back[:4].tolist() == [1000, -1000, 1000, -1000]


def test_probe_refuses_garbage_and_silence(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot read audio"):
        probe_audio(b"not audio at all")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(encode_pcm(array.array("h"), rate=8000, fmt="wav"))
    with pytest.raises(MediaError):
        probe_audio(empty)
