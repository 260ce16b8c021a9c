"""The scratch voice: as long as a real voice would take (about 150 words a minute, faster
at a higher speed), deterministic, one syllable per word with quiet lead-in and gaps, and
a steady tone of the asked length for the simulators' music."""

from __future__ import annotations

import itertools
import math

import pytest

from storyreel.media.scratch_voice import speech_samples, speech_seconds, tone_samples

RATE = 8_000


def test_the_length_follows_the_words_and_the_speed() -> None:
    ten = speech_samples(" ".join(["word"] * 10), rate=RATE)
    twenty = speech_samples(" ".join(["word"] * 20), rate=RATE)
    fast = speech_samples(" ".join(["word"] * 20), rate=RATE, speed=2.0)
    assert len(ten) == round(speech_seconds(" ".join(["word"] * 10)) * RATE)
    assert len(twenty) > len(ten)
    assert len(twenty) / RATE == pytest.approx(20 / 2.5 + 0.3, abs=0.01)  # 150 wpm + lead
    assert len(fast) < len(twenty)


def test_the_same_text_gives_the_same_samples() -> None:
    assert speech_samples("Ada reads.", rate=RATE) == speech_samples("Ada reads.", rate=RATE)
    assert speech_samples("Ada reads.", rate=RATE) != speech_samples("Bob reads.", rate=RATE)


def test_one_syllable_per_word_with_silence_around() -> None:
    samples = speech_samples("one two three", rate=RATE)
    lead = round(0.15 * RATE)
    assert not any(samples[:lead])  # the lead-in is silent
    assert not any(samples[-lead:])
    assert max(abs(s) for s in samples) <= 9_000
    loud = [i for i, s in enumerate(samples) if abs(s) > 200]
    # A syllable's sine crosses zero often; the pauses between words are far longer (50 ms+).
    syllables = 1 + sum(1 for a, b in itertools.pairwise(loud) if b - a > RATE // 20)
    assert syllables == 3


def test_empty_text_is_still_a_short_sound() -> None:
    samples = speech_samples("", rate=RATE)
    assert len(samples) > 0 and any(samples)


def test_a_tone_is_the_asked_length_and_pitch() -> None:
    samples = tone_samples(0.5, rate=RATE, pitch=200.0)
    assert len(samples) == RATE // 2
    crossings = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    assert crossings == pytest.approx(100, abs=2)  # 200 Hz for half a second
    assert max(samples) == pytest.approx(6_000, rel=0.01)
    assert math.isclose(samples[0], 0)
