"""The offline, rule-based planner: story text -> beats -> shots.

Paragraphs become beats and sentences become shots. Character names are found by whole-word
match; a sentence that names nobody but uses a pronoun keeps the previous shot's cast. A
sentence with setting words (time of day, weather, place) changes the beat's setting, which
later shots inherit. Camera and motion follow storyboard habit: each beat opens on a wide
establishing shot with a slow push in, emotional single-character moments go close, movement
verbs pan. Explicit beats in the story file are used as written, filling only blanks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import StoryDef

MAX_SHOTS = 200

_SENTENCE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9\"'(\[])")
_PRONOUNS = re.compile(r"\b(he|she|they|him|her|them|his|hers|their)\b", re.IGNORECASE)
_TIME = r"dawn|sunrise|morning|noon|midday|afternoon|evening|dusk|sunset|twilight|night|midnight"
_WEATHER = r"rain|rainy|storm|stormy|thunder|snow|snowy|fog|foggy|mist|misty|cloudy|sunny|wind"
_PLACE = (
    r"forest|woods|city|street|alley|harbou?r|sea|ocean|beach|shore|coast|mountain|cliff|"
    r"desert|dunes|village|market|square|field|meadow|castle|tavern|kitchen|room|hall|"
    r"lighthouse|cave|river|lake|bridge|garden|house|cottage|ship|boat|deck|tower|rooftop"
)
_CATEGORIES = {
    "time": re.compile(rf"\b({_TIME})\b", re.IGNORECASE),
    "weather": re.compile(rf"\b({_WEATHER})\b", re.IGNORECASE),
    "place": re.compile(rf"\b({_PLACE})\b", re.IGNORECASE),
}
_CLOSE = re.compile(
    r"\b(smiles?|cries|crying|tears?|whispers?|eyes|face|gasps?|laughs?|frowns?|stares?|"
    r"nods?|sighs?|trembles?|blushes?|kiss(es)?)\b",
    re.IGNORECASE,
)
_MOVES = re.compile(
    r"\b(walks?|runs?|climbs?|rides?|sails?|races?|rushes?|crosses|wanders?|drives?|flees|"
    r"chases?|follows?|steps?|hurries|marches?|leaps?|jumps?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PlannedShot:
    number: int
    beat: int
    action: str
    characters: tuple[str, ...]
    setting: str
    camera: str
    motion: str
    duration: float
    image_prompt: str = ""
    video_role: str | None = None
    image_model: str | None = None
    video_model: str | None = None


def split_sentences(paragraph: str) -> list[str]:
    text = " ".join(paragraph.split())
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def find_characters(sentence: str, names: list[str]) -> tuple[str, ...]:
    """Names in order of first appearance, matched as whole words, case-insensitively."""
    found = []
    for name in names:
        match = re.search(rf"\b{re.escape(name)}\b", sentence, re.IGNORECASE)
        if match:
            found.append((match.start(), name))
    return tuple(name for _, name in sorted(found))


@dataclass(frozen=True)
class Setting:
    """Where and when, carried from sentence to sentence: a sentence that names a new time
    of day keeps the place, one that names a new place keeps the weather."""

    place: str = ""
    time: str = ""
    weather: str = ""

    def update(self, sentence: str) -> Setting:
        found = {}
        for category, pattern in _CATEGORIES.items():
            match = pattern.search(sentence)
            if match:
                found[category] = match.group(1).lower()
        return Setting(
            place=found.get("place", self.place),
            time=found.get("time", self.time),
            weather=found.get("weather", self.weather),
        )

    def describe(self) -> str:
        text = self.place
        if self.time:
            text = f"{text} at {self.time}" if text else self.time
        if self.weather:
            text = f"{text}, {self.weather}" if text else self.weather
        return text


def choose_camera(*, first_in_beat: bool, sentence: str, cast: tuple[str, ...]) -> str:
    if first_in_beat:
        return "wide establishing shot"
    if len(cast) == 1 and _CLOSE.search(sentence):
        return f"close-up on {cast[0]}"
    if len(cast) >= 3:
        return "wide shot"
    return "medium shot"


def choose_motion(*, first_in_beat: bool, last_in_story: bool, sentence: str, turn: int) -> str:
    if last_in_story:
        return "slow pull out"
    if first_in_beat:
        return "slow push in"
    if _MOVES.search(sentence):
        return "pan right" if turn % 2 == 0 else "pan left"
    if _CLOSE.search(sentence):
        return "gentle push in"
    return "static"


def choose_role(*, motion: str, sentence: str) -> str:
    """Seed 002's roles: movement is ``action``, a slow camera move on a still moment is
    ``cinematic``, anything else (people acting in place) is ``motion``."""
    if _MOVES.search(sentence):
        return "action"
    if motion in ("slow push in", "slow pull out"):
        return "cinematic"
    return "motion"


def _duration(sentence: str, default: float) -> float:
    return default + 1.0 if len(sentence.split()) > 20 else default


def plan_from_text(story: StoryDef) -> list[PlannedShot]:
    names = [c.name for c in story.characters]
    paragraphs = [p for p in re.split(r"\n\s*\n", story.story.strip()) if p.strip()]
    # plan.beats / plan.key_actions are upper limits here: the rules never invent shots.
    beats = [split_sentences(p)[: story.plan.key_actions] for p in paragraphs]
    beats = beats[: story.plan.beats]
    total = sum(len(b) for b in beats)
    shots: list[PlannedShot] = []
    cast: tuple[str, ...] = ()
    setting = Setting()
    for beat_no, sentences in enumerate(beats, 1):
        for index, sentence in enumerate(sentences):
            named = find_characters(sentence, names)
            if named:
                cast = named
            elif not _PRONOUNS.search(sentence):
                cast = ()
            setting = setting.update(sentence)
            first = index == 0
            last = len(shots) + 1 == total
            # The pan direction alternates by shot number, so editing one shot never
            # flips the motion (and the clip) of the shots after it.
            motion = choose_motion(
                first_in_beat=first, last_in_story=last, sentence=sentence, turn=len(shots) + 1
            )
            shots.append(
                PlannedShot(
                    number=len(shots) + 1,
                    beat=beat_no,
                    action=sentence,
                    characters=cast,
                    setting=setting.describe(),
                    camera=choose_camera(first_in_beat=first, sentence=sentence, cast=cast),
                    motion=motion,
                    duration=_duration(sentence, story.render.duration),
                    video_role=choose_role(motion=motion, sentence=sentence),
                )
            )
    return shots[:MAX_SHOTS]


def plan_from_beats(story: StoryDef) -> list[PlannedShot]:
    canonical = {c.name.casefold(): c.name for c in story.characters}
    shots: list[PlannedShot] = []
    total = sum(len(b.shots) for b in story.beats)
    for beat_no, beat in enumerate(story.beats, 1):
        setting = beat.setting
        for index, shot in enumerate(beat.shots):
            cast = tuple(canonical[n.casefold()] for n in shot.characters)
            setting = shot.setting or setting
            first = index == 0
            motion = shot.motion or choose_motion(
                first_in_beat=first,
                last_in_story=len(shots) + 1 == total,
                sentence=shot.action,
                turn=len(shots) + 1,
            )
            shots.append(
                PlannedShot(
                    number=len(shots) + 1,
                    beat=beat_no,
                    action=shot.action,
                    characters=cast,
                    setting=setting,
                    camera=shot.camera
                    or choose_camera(first_in_beat=first, sentence=shot.action, cast=cast),
                    motion=motion,
                    duration=shot.duration or story.render.duration,
                    image_prompt=shot.image_prompt,
                    video_role=shot.video_role or choose_role(motion=motion, sentence=shot.action),
                    image_model=shot.image_model,
                    video_model=shot.video_model,
                )
            )
    return shots


def plan_story(story: StoryDef) -> list[PlannedShot]:
    """Explicit beats win; otherwise the story text is split by the rules above."""
    return plan_from_beats(story) if story.beats else plan_from_text(story)
