"""Read back and write plain audio with PyAV: what a narration or music file really holds.

A narration's length decides where the next line may start and how long its shot must
last, so it is measured from the decoded samples, never trusted from a container header
(an MP3's header duration is an estimate from its bitrate). Writing is here too because
simulators and tests need real, decodable audio (WAV or MP3); samples travel as 16-bit PCM
bytes.
"""

from __future__ import annotations

import array
import io
from dataclasses import dataclass
from pathlib import Path

from storyreel.errors import MediaError

AUDIO_MIMES = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/opus": "opus",
}


WORDS_PER_SECOND = 2.5
"""An unhurried narrator: 150 words a minute."""
LEAD_SECONDS = 0.15
MIN_SECONDS = 0.6


def spoken_seconds(text: str, *, speed: float = 1.0) -> float:
    """How long a voice takes to say ``text`` at ``speed`` (1.0 = 150 words a minute):
    the estimate a narration is planned and priced with before its audio exists."""
    words = max(1, len(text.split()))
    return max(MIN_SECONDS, LEAD_SECONDS * 2 + words / (WORDS_PER_SECOND * max(speed, 0.25)))


@dataclass(frozen=True)
class AudioInfo:
    """Facts about a file's first audio stream; ``duration`` counts decoded samples."""

    duration: float
    sample_rate: int
    channels: int
    codec: str


def probe_audio(source: Path | bytes) -> AudioInfo:
    """Decode the first audio stream of ``source`` (a path or the file's bytes) and count
    its samples."""
    import av  # imported on use: every command's start would pay for PyAV

    name = source.name if isinstance(source, Path) else "audio"
    target: str | io.BytesIO = str(source) if isinstance(source, Path) else io.BytesIO(source)
    try:
        with av.open(target, mode="r") as container:
            if not container.streams.audio:
                raise MediaError(f"{name} has no audio stream")
            stream = container.streams.audio[0]
            samples = 0
            for frame in container.decode(stream):
                samples += frame.samples
            rate = stream.codec_context.sample_rate or stream.rate
            channels = stream.codec_context.channels
            codec = stream.codec_context.name
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot read audio {name}: {exc}") from exc
    if not rate or samples == 0:
        raise MediaError(f"{name} contains no audio samples")
    return AudioInfo(
        duration=samples / rate, sample_rate=int(rate), channels=int(channels), codec=str(codec)
    )


def read_mono(source: Path, *, stream_index: int = 0, rate: int = 8_000) -> array.array[int]:
    """Every sample of an audio stream, mixed to mono 16-bit at ``rate`` Hz: what level
    checks (ducking, silence) read."""
    import av  # imported on use: every command's start would pay for PyAV

    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    out: array.array[int] = array.array("h")
    try:
        with av.open(str(source)) as container:
            stream = container.streams.audio[stream_index]
            for frame in container.decode(stream):
                for converted in resampler.resample(frame):
                    out.frombytes(bytes(converted.planes[0])[: converted.samples * 2])
            for converted in resampler.resample(None):
                out.frombytes(bytes(converted.planes[0])[: converted.samples * 2])
    except (av.error.FFmpegError, OSError, IndexError) as exc:
        raise MediaError(f"cannot read audio {source.name}: {exc}") from exc
    return out


#: file format -> (container, codec, sample rate it must run at or None for any)
_ENCODINGS: dict[str, tuple[str, str, int | None]] = {
    "wav": ("wav", "pcm_s16le", None),
    "mp3": ("mp3", "libmp3lame", None),
    "flac": ("flac", "flac", None),
    "aac": ("adts", "aac", None),
    "opus": ("ogg", "libopus", 48_000),
}


def encode_pcm(samples: array.array[int], *, rate: int, fmt: str = "wav") -> bytes:
    """Mono 16-bit samples as an audio file: ``wav``, ``mp3``, ``flac``, ``aac`` (ADTS)
    or ``opus`` (Ogg)."""
    import av  # imported on use: every command's start would pay for PyAV

    container_format, codec, fixed_rate = _ENCODINGS[fmt]
    out_rate = fixed_rate or rate
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=out_rate)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "mono"
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=out_rate
        )
        step = 1024
        frames: list[av.AudioFrame | None] = []
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            made = av.AudioFrame(format="s16", layout="mono", samples=len(chunk))
            made.planes[0].update(chunk.tobytes())
            made.sample_rate = rate
            made.pts = start
            frames.append(made)
        frames.append(None)
        for frame in frames:
            for converted in resampler.resample(frame):
                converted.pts = None
                for packet in stream.encode(converted):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
