"""Narration: which lines are spoken over which shots, the voice jobs that speak them,
how long shots must last to hold them, and when each line starts in the video.

A line belongs to one shot (``shots[].narration``) or to a whole beat
(``beats[].narration``, spoken from the beat's first shot on). Lines, like shot numbers,
come from the story's explicit beats; a story planned from plain text has none.

With ``sound.fit_narration`` a line longer than its shots lengthens them: the missing
time (plus a short breath before and after) is shared equally among the line's shots.
Shots are never shortened. Each shot can work out its own length from its line alone, so
a shot's clip starts as soon as its panel and its line are ready, whatever the others do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storyreel.media.audio import spoken_seconds
from storyreel.media.subtitles import Caption, split_captions
from storyreel.media.timeline import plan_timeline
from storyreel.vocabulary import GenerationRequest, Task

from .schema import StoryDef

LEAD_SECONDS = 0.25
"""Silence before a line starts, after its first shot begins (and after it ends)."""
MAX_SHOT_SECONDS = 30.0


@dataclass(frozen=True)
class ShotNotes:
    """What a story file says about a shot beyond what the planner keeps."""

    narration: str = ""
    dialogue: str = ""
    end_on_next: bool = False


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    shots: tuple[int, ...]


def shot_notes(story: StoryDef) -> dict[int, ShotNotes]:
    """Each explicitly written shot's notes, by shot number (numbered as planned)."""
    notes: dict[int, ShotNotes] = {}
    number = 0
    for beat in story.beats:
        for shot in beat.shots:
            number += 1
            notes[number] = ShotNotes(shot.narration, shot.dialogue, shot.end_on_next)
    return notes


def narration_lines(story: StoryDef) -> list[Line]:
    lines: list[Line] = []
    number = 0
    for beat in story.beats:
        first = number + 1
        numbers = tuple(range(first, first + len(beat.shots)))
        if beat.narration:
            lines.append(Line(len(lines) + 1, beat.narration, numbers))
        for offset, shot in enumerate(beat.shots):
            if shot.narration:
                lines.append(Line(len(lines) + 1, shot.narration, (numbers[offset],)))
        number += len(beat.shots)
    return lines


def line_of(lines: Sequence[Line], shot: int) -> Line | None:
    return next((line for line in lines if shot in line.shots), None)


def voice_request(story: StoryDef, line: Line, model: str) -> GenerationRequest:
    """The text-to-speech job of one line. ``duration`` is the spoken length expected at
    150 words a minute: what a voice billed by the second is estimated at."""
    extra: dict[str, object] = {}
    if story.sound.voice:
        extra["voice"] = story.sound.voice
    if story.sound.speed is not None:
        extra["speed"] = story.sound.speed
    expected = spoken_seconds(line.text, speed=story.sound.speed or 1.0)
    return GenerationRequest(
        task=Task.SPEECH,
        model=model,
        prompt=line.text,
        duration=round(min(expected, 120.0), 2),
        extra=extra,
    )


def music_request(story: StoryDef, model: str, seconds: float) -> GenerationRequest:
    prompt = story.sound.music_prompt or f"instrumental score for {story.title}, {story.style}"
    return GenerationRequest(
        task=Task.SPEECH, model=model, prompt=prompt, duration=round(min(seconds, 120.0), 2)
    )


def fitted_duration(
    planned: dict[int, float], line: Line | None, seconds: float | None
) -> dict[int, float]:
    """The lengths of ``line``'s shots once it fits in them (the planned ones when it
    already does, or when there is no line)."""
    if line is None or seconds is None:
        return {}
    own = {n: planned[n] for n in line.shots}
    missing = seconds + 2 * LEAD_SECONDS - sum(own.values())
    if missing <= 0:
        return own
    share = missing / len(own)
    return {n: min(MAX_SHOT_SECONDS, round(d + share + 0.005, 2)) for n, d in own.items()}


@dataclass(frozen=True)
class Spoken:
    """A line placed on the video's timeline."""

    line: Line
    start: float
    end: float


def place_lines(
    lines: Sequence[Line],
    seconds: Sequence[float],
    durations: Sequence[float],
    *,
    fps: int,
    transition_frames: int,
) -> list[Spoken]:
    """Each line starts a breath after its first shot starts; one that would overlap the
    line before it waits for it to end. Times follow the assembly's frame arithmetic."""
    timeline = plan_timeline(durations, fps, transition_frames)
    total = timeline.total_duration
    placed: list[Spoken] = []
    cursor = 0.0
    for line, length in zip(lines, seconds, strict=True):
        start = timeline.clip_starts[line.shots[0] - 1] / fps + LEAD_SECONDS
        start = max(start, cursor)
        if start >= total:
            continue
        end = min(total, start + length)
        placed.append(Spoken(line, round(start, 3), round(end, 3)))
        cursor = end + 0.1
    return placed


def captions_for(spoken: Sequence[Spoken]) -> list[Caption]:
    return [
        c for s in spoken if s.end > s.start for c in split_captions(s.line.text, s.start, s.end)
    ]
