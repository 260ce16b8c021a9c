"""Level measurements for audio tests, in pure Python (no numpy in the project)."""

from __future__ import annotations

import math
from collections.abc import Sequence

RATE = 8_000


def tone_level(samples: Sequence[int], pitch: float, *, rate: int = RATE) -> float:
    """Amplitude of one frequency in ``samples`` (Goertzel): how loud the music's tone is
    regardless of the voice over it."""
    if not samples:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * pitch / rate)
    s1 = s2 = 0.0
    for value in samples:
        s1, s2 = value + coeff * s1 - s2, s1
    return math.sqrt(max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / len(samples)


def window(samples: Sequence[int], start: float, end: float, *, rate: int = RATE) -> Sequence[int]:
    return samples[round(start * rate) : round(end * rate)]


def rms(samples: Sequence[int]) -> float:
    return math.sqrt(sum(v * v for v in samples) / len(samples)) if samples else 0.0
