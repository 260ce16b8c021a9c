"""An unchanged story run again returns its last run's manifest without running anything.

Jobs, assemblies and the export folder are each reused by their own key (``engine/jobs.py``,
``story/reuse.py``), but finding them all still walks the whole pipeline: every shot's
workflow, its consistency scoring, every part of the video. A re-run with nothing changed
can skip that walk when it can prove nothing changed, so each finished run records the
*state* it ended in, a hash of everything its result was made from:

* the project's rows (story, characters, shots with their picks, identity scores, and
  every job it owns or uses, with its status, outputs and cost), read from the store;
* the catalog (models, prices, chains) and the settings (secrets masked), which choose
  what a request becomes;
* the output folder, and the code (``storyreel.__version__``, ``RECIPE_VERSION`` and a
  hash of the package's source files).

The next run of the same project into the same folder computes the same hash before it
starts; when it equals the last successful run's and the folder still holds that run's
export byte for byte (``reuse.export_is_current``), the store still holds every file it
lists, and every job it lists is still the one a run would pick for its request (a redo
elsewhere makes a newer take), that manifest is the answer. Anything else (an edited
story, a pick, a redo, a job deleted from the library, a raised price, a touched file in
the folder) fails one of these, and the run goes through the pipeline as before, reusing
what it can. A crash between the export and the record
only costs that walk once.

The budget is left out of the hash: raising it changes nothing that was made (a budget too
low is still refused before this check, ``runner.check_budget``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from dbos import DBOS, WorkflowHandleAsync
from sqlalchemy import or_, select
from sqlalchemy.orm import DeclarativeBase

import storyreel
from storyreel.catalog import Catalog
from storyreel.engine.blips import survives_db_blips
from storyreel.engine.jobs import find_reusable_many
from storyreel.engine.runtime import Runtime, runtime
from storyreel.ids import content_hash
from storyreel.store.models import Character, IdentityScore, Job, JobOutput, Project, Shot

from .reuse import RECIPE_VERSION, export_is_current, listed_files, manifest_entries

log = logging.getLogger(__name__)

RUN_STATE_EVENT = "storyreel.run_state"
"""The DBOS event a finished story run sets to the hash of the state it ended in."""


def _row(row: DeclarativeBase, skip: Sequence[str] = ()) -> dict[str, Any]:
    """Every column of a row, by name, as JSON-able values."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__mapper__.column_attrs
        if column.key not in skip
    }


def _plain(value: Any) -> Any:
    """Dates, decimals and other scalars as strings; JSON values as they are."""
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    return str(value)


async def run_state(rt: Runtime, project_id: str, out_dir: str) -> str:
    """The hash of everything a run of ``project_id`` into ``out_dir`` is made from."""
    async with rt.db.session() as session:
        project = await session.get(Project, project_id)
        if project is None:
            return ""
        characters = (
            (await session.execute(select(Character).where(Character.project_id == project_id)))
            .scalars()
            .all()
        )
        shots = (
            (await session.execute(select(Shot).where(Shot.project_id == project_id)))
            .scalars()
            .all()
        )
        scores = (
            (
                await session.execute(
                    select(IdentityScore).where(IdentityScore.project_id == project_id)
                )
            )
            .scalars()
            .all()
        )
        used = {j for s in shots for j in (s.panel_job_id, s.clip_job_id) if j is not None}
        jobs = (
            (
                await session.execute(
                    select(Job).where(or_(Job.project_id == project_id, Job.id.in_(used)))
                )
            )
            .scalars()
            .all()
        )
        outputs = (
            (
                await session.execute(
                    select(JobOutput).where(JobOutput.job_id.in_([job.id for job in jobs]))
                )
            )
            .scalars()
            .all()
        )
        story = {k: v for k, v in project.story.items() if k != "budget"}
        state = {
            "project": _row(project, skip=("budget_usd", "story")) | {"story": story},
            "characters": sorted((_row(c) for c in characters), key=lambda r: r["id"]),
            "shots": sorted((_row(s) for s in shots), key=lambda r: r["id"]),
            "scores": sorted((_row(s) for s in scores), key=lambda r: r["id"]),
            # ``outputs`` is a relationship, not a column: its rows are listed below
            "jobs": sorted((_row(j) for j in jobs), key=lambda r: r["id"]),
            "outputs": sorted(
                (_row(o) for o in outputs), key=lambda r: (r["job_id"], r["position"])
            ),
        }
    return content_hash(
        {
            "state": state,
            "catalog": Catalog.load(rt.settings).digest(),
            "settings": rt.settings.model_dump(mode="json"),
            "out_dir": out_dir,
            "code": [storyreel.__version__, RECIPE_VERSION, code_digest()],
        }
    )


@DBOS.step(name="storyreel.story.run_state")
@survives_db_blips
async def _run_state_step(project_id: str, out_dir: str) -> str:
    return await run_state(runtime(), project_id, out_dir)


async def record_run_state(project_id: str, out_dir: str) -> None:
    """In the story workflow, once its export is written: what the next run compares."""
    await DBOS.set_event_async(RUN_STATE_EVENT, await _run_state_step(project_id, out_dir))


async def unchanged_result(
    rt: Runtime, last_run: str, project_id: str, out_dir: Path
) -> dict[str, Any] | None:
    """The manifest of ``last_run`` (a run of this project into ``out_dir`` that ended)
    when nothing changed since it ended; None when the pipeline must run (also when the
    last run cannot be read: the pipeline is always a correct answer)."""
    try:
        recorded = await DBOS.get_event_async(last_run, RUN_STATE_EVENT, timeout_seconds=0)
        if recorded is None:
            return None
        if recorded != await run_state(rt, project_id, str(out_dir.resolve())):
            return None
        handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(last_run)
        manifest: dict[str, Any] = await handle.get_result()
    except Exception:  # noqa: BLE001 - a shortcut that cannot look falls back, never fails
        log.debug("the last run %s could not be read; running the pipeline", last_run)
        return None
    if "stopped" in manifest or not export_is_current(out_dir, manifest):
        return None
    # The store is what the library and the next edit build on: a file lost there is
    # made again by the pipeline, not papered over by the export folder's copy.
    if not all(rt.assets.holds(sha) for _, sha in listed_files(manifest)):
        return None
    if not await _jobs_still_chosen(rt, manifest):
        return None
    return manifest


def listed_jobs(node: Any) -> Iterator[str]:
    """Every job id a manifest lists (shots' panels and clips, narration, music, sheets)."""
    for entry in manifest_entries(node):
        if isinstance(entry.get("job_id"), str):
            yield entry["job_id"]


async def _jobs_still_chosen(rt: Runtime, manifest: dict[str, Any]) -> bool:
    """Whether a run would pick the same job for every request the manifest used. A run
    takes the newest finished (or running) job for a request, whichever project made it:
    a redo of a shared request in another story, or one made while the last run was
    still going, is not in this project's rows but changes what a run makes."""
    ids = set(listed_jobs(manifest))
    if not ids:
        return True
    async with rt.db.read() as session:
        rows = (
            await session.execute(select(Job.id, Job.request_hash).where(Job.id.in_(ids)))
        ).all()
        if len(rows) != len(ids):
            return False  # a job it used is gone from the library
        chosen = await find_reusable_many(session, {key for _, key in rows})
    return all(key in chosen and chosen[key].id == job_id for job_id, key in rows)


@cache
def code_digest() -> str:
    """The hash of storyreel's own source files, read once per process: an upgrade (or an
    edited checkout) changes what a run makes even where the version string does not."""
    root = Path(storyreel.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
