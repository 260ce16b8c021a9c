"""``storyreel story characters FILE``: draw (or show) the character sheets alone, so a user
can approve them before paying for panels.

The sheets are the same jobs a full run makes (same requests, so a later ``story run``
reuses them instead of buying them again); characters with their own reference image are
shown with it. Only the sheets' cost is held to the budget here.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from dbos import DBOS

from storyreel.catalog import Catalog
from storyreel.catalog.pricing import format_usd
from storyreel.config import Settings
from storyreel.engine import waits
from storyreel.engine.app import Engine
from storyreel.engine.budget import project_spend
from storyreel.engine.service import preflight_request
from storyreel.errors import BudgetExceeded, InputError
from storyreel.store.exports import copy_atomic, holds
from storyreel.store.models import Project

from ..loader import load_story
from ..pipeline import StoryRunError, sheets_workflow
from ..project import character_references, load_project, prepare_project
from ..runner import preflight


async def draw_characters(
    settings: Settings, story_file: Path, out_dir: Path, *, budget_usd: Decimal | None = None
) -> list[dict[str, Any]]:
    """Each character's image (its reference, or its sheet, drawn now if it has none yet),
    copied into ``out_dir``; returns name, source, file and sha256 for each."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; give a folder (new or existing)")
    loaded = load_story(
        story_file,
        max_image_bytes=settings.max_upload_bytes,
        max_image_pixels=settings.max_image_pixels,
    )
    catalog = Catalog.load(settings)
    preflight(loaded, catalog, None)
    async with Engine(settings) as engine:
        rt = engine.runtime
        assert rt is not None
        estimate = preflight(loaded, catalog, partial(preflight_request, rt))
        project_id = await prepare_project(rt, loaded, budget_usd=budget_usd)
        async with rt.db.session() as session:
            project = await session.get(Project, project_id)
            assert project is not None
            budget, spent = project.budget_usd, await project_spend(session, project_id)
        sheets = estimate.sheets_usd or Decimal(0)
        if budget is not None and spent + sheets > budget:
            raise BudgetExceeded(
                f"the character sheets would cost {format_usd(sheets)} on top of "
                f"{format_usd(spent)} spent, over the budget of {format_usd(budget)}"
            )
        handle = await DBOS.start_workflow_async(sheets_workflow, project_id)
        result: dict[str, Any] = await waits.result(handle)
        if "stopped" in result:
            kind = (
                BudgetExceeded if result["stopped"]["kind"] == "BudgetExceeded" else StoryRunError
            )
            raise kind(result["stopped"]["message"])
        project = await load_project(rt, project_id)
        refs = character_references(project)
        shown = []
        for index, character in enumerate(project.characters, 1):
            if character.name not in refs:
                continue
            ref = refs[character.name][0]
            name = "".join(ch if ch.isalnum() else "-" for ch in character.name.casefold())
            target = (
                out_dir / f"{index:02d}-{name.strip('-') or 'character'}.{ref.mime.split('/')[-1]}"
            )
            if not holds(target, ref.asset):
                out_dir.mkdir(parents=True, exist_ok=True)
                copy_atomic(rt.assets.path(ref.asset, ref.mime), target)
            shown.append(
                {
                    "name": character.name,
                    "source": "reference" if character.reference_asset else "sheet",
                    "file": str(target),
                    "sha256": ref.asset,
                }
            )
        return shown
