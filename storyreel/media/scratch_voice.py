"""A scratch voice: real, decodable "speech" with one pitched syllable per word.

Film editors cut to a scratch track before the real voice is recorded; storyreel's offline
``voice:scratch`` model and every text-to-speech simulator answer with this, so the story
pipeline's timing (narration placement, shots stretched to fit, subtitles) runs against
audio as long as a real voice would take: about 150 words a minute. The
sound itself is a tone per word between 480 and 960 Hz with soft edges and short pauses;
it is deterministic (the same text always gives the same bytes).
"""

from __future__ import annotations

import array
import hashlib
import math

from storyreel.media.audio import LEAD_SECONDS, encode_pcm
from storyreel.media.audio import spoken_seconds as speech_seconds

__all__ = ["fake_speech", "speech_samples", "speech_seconds", "tone_samples"]

AMPLITUDE = 9_000


def _pitch(word: str) -> float:
    digest = hashlib.sha256(word.casefold().encode()).digest()
    return 480.0 + digest[0] / 255 * 480.0


def speech_samples(text: str, *, rate: int = 24_000, speed: float = 1.0) -> array.array[int]:
    """Mono 16-bit samples of the spoken ``text``."""
    total = round(speech_seconds(text, speed=speed) * rate)
    out = array.array("h", bytes(2 * total))
    words = text.split() or ["..."]
    lead = round(LEAD_SECONDS * rate)
    slot = (total - 2 * lead) / len(words)
    for index, word in enumerate(words):
        start = lead + round(index * slot)
        length = max(1, round(slot * 0.8))
        pitch = _pitch(word)
        for i in range(length):
            # A raised-cosine envelope: no clicks at a syllable's edges.
            envelope = 0.5 - 0.5 * math.cos(2 * math.pi * i / length)
            value = AMPLITUDE * envelope * math.sin(2 * math.pi * pitch * i / rate)
            out[min(start + i, total - 1)] = int(value)
    return out


def fake_speech(text: str, *, fmt: str = "mp3", rate: int = 24_000, speed: float = 1.0) -> bytes:
    """The spoken ``text`` as a WAV or MP3 file."""
    return encode_pcm(speech_samples(text, rate=rate, speed=speed), rate=rate, fmt=fmt)


def tone_samples(seconds: float, *, rate: int = 24_000, pitch: float = 220.0) -> array.array[int]:
    """A steady tone: the simulators' "music"."""
    count = round(seconds * rate)
    return array.array(
        "h", (int(6_000 * math.sin(2 * math.pi * pitch * i / rate)) for i in range(count))
    )
