"""A stored story's plan as the UI edits it: the shots a run makes, what that run would
redo (``story.stale``, the same DAG ``storyreel story plan`` prints), and one cell of one
shot changed in the story file.

An edit writes the plan into the story file as explicit beats first when the story is
still text (``variants.as_beats``: the requests stay exactly those the text made, so the
edit redoes only the shot it touches), then changes the one field. The file is checked
by the CLI's loader before it replaces the old one.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, StoryreelError
from storyreel.store.exports import write_text_atomic
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.planning import RULES, planner_of
from storyreel.story.requests import estimate_story
from storyreel.story.runner import story_references
from storyreel.story.stale import RedoReport, would_redo
from storyreel.story.variants import as_beats

from .stories import StoryFolder, load
from .story_runs import remembered_options

EDITABLE = ("action", "characters", "camera", "motion", "duration", "narration")
"""The plan table's editable columns, each a field of the story file's shot."""


@dataclass(frozen=True)
class PlanRow:
    number: int
    beat: int
    action: str
    characters: list[str]
    camera: str
    motion: str
    duration: float
    narration: str
    redo: list[str] | None
    """``panel``/``clip`` where a run would make it anew; None when it cannot be told."""


@dataclass(frozen=True)
class PlanView:
    rows: list[PlanRow]
    assembly_redo: bool | None
    errors: list[str]
    """Why a shot cannot run (an unknown model, a missing key): the redo column is blank."""
    note: str | None = None
    """Set instead of rows when a chat model plans the story at run time."""

    @property
    def redo_counts(self) -> tuple[int, int]:
        """(panels, clips) a run would make anew."""
        redo = [r.redo or [] for r in self.rows]
        return sum("panel" in r for r in redo), sum("clip" in r for r in redo)


def _narrations(raw: dict[str, Any]) -> list[str]:
    """Each shot's narration as written (a beat's narration shows on its first shot)."""
    found: list[str] = []
    for beat in raw.get("beats") or []:
        for index, shot in enumerate(beat.get("shots") or []):
            text = shot.get("narration") or (beat.get("narration", "") if index == 0 else "")
            found.append(str(text or ""))
    return found


async def plan_view(
    settings: Settings, rt: Runtime, catalog: Catalog, folder: StoryFolder
) -> PlanView:
    """The plan a run of the stored story makes, and what of it that run would redo."""
    loaded = load(settings, folder)
    if not loaded.story.beats and planner_of(loaded.story, None) != RULES:
        name = planner_of(loaded.story, None)
        return PlanView([], None, [], note=f"{name} plans the shots when the story runs")
    story = remembered_options(folder).shape(loaded.story)  # drafts, finalized shots
    shots = plan_story(story)
    refs = story_references(dataclasses.replace(loaded, story=story))
    estimate = estimate_story(catalog, story, shots, refs)
    report: RedoReport | None = None
    if not estimate.errors:
        report = await would_redo(rt, catalog, story, shots, refs)
    work = {s.number: s for s in report.shots} if report else {}
    raw = json.loads(folder.story_file.read_text(encoding="utf-8"))
    narration = _narrations(raw)
    rows = []
    for shot in shots:
        done = work.get(shot.number)
        rows.append(
            PlanRow(
                number=shot.number,
                beat=shot.beat,
                action=shot.action,
                characters=list(shot.characters),
                camera=shot.camera,
                motion=shot.motion,
                duration=shot.duration,
                narration=narration[shot.number - 1] if shot.number <= len(narration) else "",
                redo=None
                if done is None
                else [n for n, on in (("panel", done.panel), ("clip", done.clip)) if on],
            )
        )
    return PlanView(rows, None if report is None else report.assembly, estimate.errors)


def _value(field: str, text: str) -> Any:
    text = text.strip()
    if field == "characters":
        return [name.strip() for name in text.split(",") if name.strip()]
    if field == "duration":
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise InputError(f"duration: {text[:40]!r} is not a number of seconds") from None
    return text


def _with_beats(settings: Settings, folder: StoryFolder, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with its plan written out as beats (a text story), else as it is."""
    if raw.get("beats"):
        return raw
    story = load(settings, folder).story
    if planner_of(story, None) != RULES:
        raise InputError("a chat model plans this story: run it once, then edit its shots")
    planned = as_beats(story).model_dump(mode="json", exclude_defaults=True)
    return raw | {"beats": planned["beats"]}


def edit_shot(settings: Settings, folder: StoryFolder, number: int, field: str, text: str) -> None:
    """Set shot ``number``'s ``field`` (one of ``EDITABLE``) to ``text`` in the story file;
    one clear InputError (and the file untouched) when the result is not a valid story."""
    if field not in EDITABLE:
        raise InputError(f"{field[:40]!r} is not an editable column ({', '.join(EDITABLE)})")
    before = folder.story_file.read_text(encoding="utf-8")
    raw = _with_beats(settings, folder, json.loads(before))
    place = [(b, s) for b, beat in enumerate(raw["beats"]) for s in range(len(beat["shots"]))]
    if not 1 <= number <= len(place):
        raise InputError(f"shot {number}: the story has shots 1-{len(place)}")
    beat, index = place[number - 1]
    shot = raw["beats"][beat]["shots"][index]
    value = _value(field, text)
    if value is None or value == "" or value == []:
        shot.pop(field, None)
    else:
        shot[field] = value
    text_out = json.dumps(raw, indent=2)
    try:
        parse_story(text_out, name=f"shot {number}")
    except StoryreelError as exc:
        raise InputError(exc.message.splitlines()[0]) from None
    write_text_atomic(folder.story_file, text_out)
    try:
        load(settings, folder)
    except BaseException:
        write_text_atomic(folder.story_file, before)
        raise
