"""The paper views of a story: the contact sheet, the printable storyboard PDF and the
webtoon strip.

All are drawn from the finished panels and the shots' notes, stored as assets and keyed
by a recipe of exactly those inputs, so a re-run that changes no panel or note reuses them
(``reuse.py``). The strip's parts are recorded together under one recipe: the first
part's row is what ``find_derived`` finds, the rest follow from the stored list.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from dbos import DBOS

from storyreel.engine.blips import survives_db_blips
from storyreel.engine.runtime import Runtime, runtime
from storyreel.ids import content_hash
from storyreel.media.contact_sheet import SheetPanel, render_contact_sheet
from storyreel.media.webtoon import StripPanel, render_webtoon
from storyreel.store.records import add_asset, store_image

from .narration import ShotNotes, line_of, narration_lines, shot_notes
from .project import load_project, story_of
from .reuse import (
    CONTACT_SHEET,
    RECIPE_VERSION,
    contact_sheet_recipe,
    find_derived,
    remember_derived,
)

PDF = "storyboard_pdf"
WEBTOON = "webtoon"


async def _stored(rt: Runtime, recipe: str, kind: str, data: bytes, mime: str) -> str:
    sha, stored = rt.assets.put(data, mime)
    async with rt.db.session() as session:
        await add_asset(session, {"sha256": sha, "mime": mime, "size": stored.stat().st_size})
        await remember_derived(session, recipe, kind, sha)
    return sha


@DBOS.step(name="storyreel.story.boards")
@survives_db_blips
async def make_boards(project_id: str, panels: dict[str, str]) -> dict[str, Any]:
    """``{"storyboard_pdf": sha | None, "webtoon": [sha, ...]}`` as the story asks."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    notes = shot_notes(story)
    lines = narration_lines(story)
    rows = []
    for shot in project.shots:
        note = notes.get(shot.number, ShotNotes())
        line = line_of(lines, shot.number)
        spoken = line.text if line is not None and line.shots[0] == shot.number else ""
        rows.append((shot, note, spoken, panels[str(shot.number)]))
    result: dict[str, Any] = {"storyboard_pdf": None, "webtoon": []}
    if story.exports.storyboard_pdf:
        board = [
            [s.number, sha, s.action, s.camera, s.motion, s.duration, spoken, n.dialogue]
            for s, n, spoken, sha in rows
        ]
        recipe = content_hash(
            {"kind": PDF, "version": RECIPE_VERSION, "title": story.title, "board": board}
        )
        async with rt.db.session() as session:
            made = await find_derived(session, rt.assets, recipe)
        if made is None:
            # fpdf2 (and fontTools under it) takes a quarter second to import: only here
            from storyreel.media.storyboard_pdf import BoardShot, render_storyboard_pdf

            # every render below runs off the event loop: a second of PDF drawing there
            # held every waiting job's poll (and the clips still generating) that long
            pdf = await asyncio.to_thread(
                render_storyboard_pdf,
                story.title,
                [
                    BoardShot(
                        number=s.number,
                        image=rt.assets.read(sha, "image/png"),
                        action=s.action,
                        camera=s.camera,
                        motion=s.motion,
                        duration=s.duration,
                        narration=spoken,
                        dialogue=n.dialogue,
                    )
                    for s, n, spoken, sha in rows
                ],
            )
            result["storyboard_pdf"] = await _stored(rt, recipe, PDF, pdf, "application/pdf")
        else:
            result["storyboard_pdf"] = made["sha256"]
    if story.exports.webtoon:
        strip = [[sha, _caption(n, spoken)] for _, n, spoken, sha in rows]
        recipe = content_hash({"kind": WEBTOON, "version": RECIPE_VERSION, "strip": strip})
        async with rt.db.session() as session:
            made = await find_derived(session, rt.assets, recipe)
        if made is not None:
            index = json.loads(rt.assets.read(made["sha256"], "application/json"))
            if all(rt.assets.exists(sha, "image/png") for sha in index):
                result["webtoon"] = index
                return result
        parts = await asyncio.to_thread(
            render_webtoon,
            [StripPanel(rt.assets.read(sha, "image/png"), caption) for sha, caption in strip],
        )
        shas = [rt.assets.put(part, "image/png")[0] for part in parts]
        async with rt.db.session() as session:
            for sha, part in dict(zip(shas, parts, strict=True)).items():
                await add_asset(session, {"sha256": sha, "mime": "image/png", "size": len(part)})
        await _stored(rt, recipe, WEBTOON, json.dumps(shas).encode(), "application/json")
        result["webtoon"] = shas
    return result


def _caption(note: ShotNotes, spoken: str) -> str:
    """A webtoon's caption box: the narration, then the dialogue."""
    return " ".join(part for part in (spoken, note.dialogue) if part)


@DBOS.step(name="storyreel.story.contact_sheet")
@survives_db_blips
async def contact_sheet(
    project_id: str, panels: dict[str, str], identity: dict[str, Any] | None = None
) -> str:
    """The storyboard page of the panels, reused when the panels and captions are unchanged;
    with ``identity``, each panel's score badge and the characters' images in the header."""
    rt = runtime()
    project = await load_project(rt, project_id)
    badges: dict[str, str] = (identity or {}).get("badges", {})
    cast = (identity or {}).get("references", [])
    recipe = contact_sheet_recipe(
        project.title + "".join(f"\0{c['name']}:{c['sha256']}" for c in cast),
        [
            (s.number, s.action + badges.get(str(s.number), ""), panels[str(s.number)])
            for s in project.shots
        ],
    )
    async with rt.db.session() as session:
        if (made := await find_derived(session, rt.assets, recipe)) is not None:
            return str(made["sha256"])
    sheet = await asyncio.to_thread(
        render_contact_sheet,
        [
            SheetPanel(
                image=rt.assets.read(panels[str(s.number)], "image/png"),
                number=s.number,
                caption=s.action,
                badge=badges.get(str(s.number)),
            )
            for s in project.shots
        ],
        title=project.title,
        characters=[(c["name"], rt.assets.read(c["sha256"], c["mime"])) for c in cast],
    )
    info = await asyncio.to_thread(store_image, rt.assets, sheet, "image/png")
    async with rt.db.session() as session:
        await add_asset(session, info)
        await remember_derived(session, recipe, CONTACT_SHEET, str(info["sha256"]))
    return str(info["sha256"])
