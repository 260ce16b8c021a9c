"""Narration on the timeline: lines are numbered in story order and belong to their shot
or to a whole beat, a line longer than its shots lengthens them equally (never shortens),
each line starts a breath after its first shot and never overlaps the one before, and a
voice job carries the story's voice and speed."""

from __future__ import annotations

import pytest

from storyreel.story.loader import parse_story
from storyreel.story.narration import (
    LEAD_SECONDS,
    MAX_SHOT_SECONDS,
    Line,
    fitted_duration,
    line_of,
    narration_lines,
    place_lines,
    shot_notes,
    voice_request,
)

STORY = parse_story("""
title: Harbour
characters:
  - {name: Mira, description: red coat}
sound: {voice: nova, speed: 1.25}
beats:
  - setting: quay at dawn
    narration: The storm gathers over the harbour.
    shots:
      - {action: Mira looks out., characters: [Mira]}
      - {action: Waves break., characters: []}
  - setting: the lighthouse
    shots:
      - {action: Mira climbs., characters: [Mira], narration: She climbs., dialogue: "MIRA: Go!"}
      - {action: The lamp turns., characters: []}
""")


def test_lines_belong_to_a_beat_or_a_shot_in_story_order() -> None:
    lines = narration_lines(STORY)
    assert lines == [
        Line(1, "The storm gathers over the harbour.", (1, 2)),
        Line(2, "She climbs.", (3,)),
    ]
    assert line_of(lines, 2) == lines[0]
    assert line_of(lines, 3) == lines[1]
    assert line_of(lines, 4) is None
    notes = shot_notes(STORY)
    assert sorted(notes) == [1, 2, 3, 4]
    assert (notes[3].narration, notes[3].dialogue) == ("She climbs.", "MIRA: Go!")


def test_a_line_that_fits_keeps_its_shots() -> None:
    line = Line(1, "x", (1, 2))
    assert fitted_duration({1: 3.0, 2: 3.0, 3: 9.0}, line, 5.0) == {1: 3.0, 2: 3.0}
    assert fitted_duration({1: 3.0}, None, 5.0) == {}
    assert fitted_duration({1: 3.0}, Line(1, "x", (1,)), None) == {}


def test_a_long_line_lengthens_its_shots_equally_up_to_the_cap() -> None:
    line = Line(1, "x", (1, 2))
    fitted = fitted_duration({1: 2.0, 2: 4.0}, line, 9.0)
    # 9 s + a breath either side = 9.5 s; 3.5 s missing, 1.75 s each.
    assert fitted == {1: 3.75, 2: 5.75}
    assert sum(fitted.values()) >= 9.0 + 2 * LEAD_SECONDS
    assert fitted_duration({1: 2.0}, Line(1, "x", (1,)), 100.0) == {1: MAX_SHOT_SECONDS}


def test_lines_start_a_breath_in_and_never_overlap() -> None:
    lines = [Line(1, "a", (1,)), Line(2, "b", (2,)), Line(3, "c", (3,))]
    spoken = place_lines(lines, [4.0, 1.0, 1.0], [2.0, 2.0, 2.0], fps=24, transition_frames=0)
    assert [(s.start, s.end) for s in spoken] == [(0.25, 4.25), (4.35, 5.35), (5.45, 6.0)]


def test_a_line_past_the_end_is_dropped() -> None:
    lines = [Line(1, "a", (1,)), Line(2, "b", (2,))]
    spoken = place_lines(lines, [5.0, 1.0], [2.0, 2.0], fps=24, transition_frames=0)
    assert [s.line.number for s in spoken] == [1]
    assert spoken[0].end == 4.0  # cut at the video's end


def test_the_voice_job_carries_voice_and_speed() -> None:
    line = narration_lines(STORY)[0]
    req = voice_request(STORY, line, "openai:tts-1")
    assert req.prompt == line.text
    assert req.extra == {"voice": "nova", "speed": 1.25}
    assert req.duration == pytest.approx(0.3 + 6 / (2.5 * 1.25), abs=0.01)
