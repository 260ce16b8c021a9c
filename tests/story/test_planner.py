from __future__ import annotations

from storyreel.story.loader import parse_story
from storyreel.story.planner import Setting, find_characters, plan_story, split_sentences

STORY = """
title: Plan
characters:
  - {name: Mira, description: red hair}
  - {name: Tomas, description: white beard}
story: |
  At dusk a storm gathers over the harbour. Mira runs along the harbour wall.
  She climbs the stairs. Tomas smiles.

  The night is black with rain. Mira and Tomas crank the lens. The lamp glows.
render: {duration: 2}
"""


def test_paragraphs_become_beats_and_sentences_shots() -> None:
    shots = plan_story(parse_story(STORY))
    assert [s.beat for s in shots] == [1, 1, 1, 1, 2, 2, 2]
    assert [s.number for s in shots] == list(range(1, 8))
    assert shots[1].action == "Mira runs along the harbour wall."


def test_characters_named_or_carried_by_pronouns() -> None:
    shots = plan_story(parse_story(STORY))
    assert shots[0].characters == ()
    assert shots[1].characters == ("Mira",)
    assert shots[2].characters == ("Mira",)  # "She climbs"
    assert shots[5].characters == ("Mira", "Tomas")
    assert shots[6].characters == ()  # no name, no pronoun


def test_setting_carries_over_and_updates_by_category() -> None:
    shots = plan_story(parse_story(STORY))
    assert shots[0].setting == "harbour at dusk, storm"
    assert shots[2].setting == "harbour at dusk, storm"
    assert shots[4].setting == "harbour at night, rain"


def test_camera_and_motion_rules() -> None:
    shots = plan_story(parse_story(STORY))
    assert shots[0].camera == "wide establishing shot" and shots[0].motion == "slow push in"
    assert shots[3].camera == "close-up on Tomas"
    assert shots[1].motion == "pan right" and shots[2].motion == "pan left"
    assert shots[-1].motion == "slow pull out"
    assert all(s.duration == 2 for s in shots)


def test_explicit_beats_are_used_as_written() -> None:
    story = parse_story(
        """
title: B
characters: [{name: Mira}]
beats:
  - setting: forest at noon
    shots:
      - {action: Mira listens., characters: [mira], camera: close-up, motion: static, duration: 4}
      - {action: A deer runs past.}
"""
    )
    first, second = plan_story(story)
    assert (first.characters, first.camera, first.motion, first.duration) == (
        ("Mira",),
        "close-up",
        "static",
        4,
    )
    assert second.setting == "forest at noon" and second.camera == "medium shot"


def test_helpers() -> None:
    assert split_sentences('He said "Go!" Then she left.  Done?') == [
        'He said "Go!"',
        "Then she left.",
        "Done?",
    ]
    assert find_characters("Tomas waves at mira", ["Mira", "Tomas"]) == ("Tomas", "Mira")
    assert find_characters("Miranda sings", ["Mira"]) == ()
    assert Setting().update("a snowy forest at dawn").describe() == "forest at dawn, snowy"


def test_editing_one_shot_never_changes_another_shots_motion() -> None:
    def motions(second: str) -> list[str]:
        text = (
            "title: T\nbeats:\n  - shots:\n      - {action: The sea is calm}\n"
            f"      - {{action: {second}}}\n      - {{action: A gull runs on the sand}}\n"
            "      - {action: A dog runs after it}\n      - {action: Night falls}\n"
        )
        return [s.motion for s in plan_story(parse_story(text))]

    still, moving = motions("The boat rocks"), motions("The boat races away")
    assert still[1] != moving[1]
    assert still[2:] == moving[2:]
