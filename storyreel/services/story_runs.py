"""Running stored stories in the background of a process that already runs the engine
(``storyreel serve``): the CLI's runner (``story.runner.run_story``) on that engine, one
run per story at a time, its state kept in the story's ``run.json`` so a client can poll
it (and the project's progress) after the request that started it has returned."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.errors import ConfigError, Conflict, InputError, NotFound, StoryreelError
from storyreel.story.consistency.candidates import record_pick
from storyreel.story.loader import LoadedStory
from storyreel.story.redo import Redo
from storyreel.story.runner import RunOptions, run_story
from storyreel.story.variants import for_finalize

from .progress import story_progress
from .stories import StoryFolder, is_story_id, load, read_run, story_folder, write_run

log = logging.getLogger(__name__)


@dataclass
class StoryRuns:
    """The runs this process has started, by story id."""

    settings: Settings
    engine: Engine
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def busy(self, story_id: str) -> bool:
        task = self.tasks.get(story_id)
        return task is not None and not task.done()

    def refuse_if_busy(self, story_id: str) -> None:
        if self.busy(story_id):
            raise Conflict(f"story {story_id} is running; wait for its run to end")

    def start(
        self,
        folder: StoryFolder,
        *,
        budget_usd: Decimal | None = None,
        redo: Redo | None = None,
        options: RunOptions | None = None,
        shots: list[int] | None = None,
    ) -> None:
        """Start the story's run (with ``redo``: that shot made again first) and return;
        ``run.json`` says ``running`` until it ends ``succeeded`` or ``failed``.

        ``options`` (None: the story's remembered ones, see ``remembered_options``) shape
        the run: a story whose shots were finalized keeps them final on every later run,
        so it stays the same project. ``shots``: the shots this run remakes, for the
        storyboard to mark (None: all of them, or the redo's)."""
        self.refuse_if_busy(folder.id)
        options = remembered_options(folder) if options is None else options
        if shots is None and redo is not None:
            shots = [redo.shot]
        started = datetime.now(UTC).isoformat()
        before = read_run(folder) or {}
        # project_id is cleared: an edited story is a new project, known once it is made;
        # until then the storyboard shows the last one's shots (last_project_id)
        write_run(
            folder,
            state="running",
            error=None,
            redo=redo is not None,
            shots=shots,
            finalized=sorted(options.shots) if options.finalize and options.shots else None,
            started_at=started,
            project_id=None,
            last_project_id=before.get("project_id") or before.get("last_project_id"),
        )
        self.tasks[folder.id] = asyncio.create_task(self._run(folder, budget_usd, redo, options))

    async def _run(
        self,
        folder: StoryFolder,
        budget_usd: Decimal | None,
        redo: Redo | None,
        options: RunOptions,
    ) -> None:
        async def before_workflow(
            rt: Runtime, project_id: str, loaded: LoadedStory, catalog: Catalog
        ) -> None:
            # the earliest moment the project is known: the progress routes can show it
            write_run(folder, project_id=project_id)
            if redo is not None:
                await redo(rt, project_id, loaded, catalog)

        try:
            await run_story(
                self.settings,
                folder.story_file,
                folder.out_dir,
                budget_usd=budget_usd,
                force=before_workflow,
                engine=self.engine,
                options=options,
            )
        except asyncio.CancelledError:
            write_run(folder, state="interrupted", error="the server stopped; run it again")
            raise
        except StoryreelError as exc:
            write_run(folder, state="failed", error=exc.message)
        except Exception as exc:  # a bug: the client still learns the run ended
            log.exception("story %s: run failed", folder.id)
            write_run(folder, state="failed", error=f"internal error: {type(exc).__name__}")
        else:
            write_run(folder, state="succeeded")
        finally:
            self.tasks.pop(folder.id, None)

    async def close(self) -> None:
        """Cancel the runs still going (the engine resumes their workflows next start)."""
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


def require_runs(runs: StoryRuns | None) -> StoryRuns:
    """The process's story runs; a server that runs no jobs refuses in words."""
    if runs is None:
        raise ConfigError(
            "this server runs no jobs (serve --no-jobs): run stories with "
            "`storyreel story run` or on a server that runs jobs"
        )
    return runs


def remembered_options(folder: StoryFolder) -> RunOptions:
    """How the story's runs are shaped: its finalized shots final (``finalized`` in
    ``run.json``), every other shot as its draft; a story never finalized runs as
    ``story run`` does."""
    finalized = (read_run(folder) or {}).get("finalized")
    if finalized is None:
        return RunOptions()
    return RunOptions(finalize=True, shots=frozenset(int(n) for n in finalized))


def finalize_options(settings: Settings, folder: StoryFolder, chosen: set[int]) -> RunOptions:
    """``story finalize --shots``'s options for ``chosen`` plus the shots finalized
    before (a storyboard finalizes shot by shot; a final shot never goes back to its
    draft). One InputError when the story has no draft or no such shot."""
    if not chosen:
        raise InputError("choose the shots to finalize")
    before = remembered_options(folder).shots or frozenset()
    shots = frozenset(chosen) | before
    for_finalize(load(settings, folder).story, set(shots))  # the CLI's checks
    return RunOptions(finalize=True, shots=shots)


async def pick_candidate(
    runs: StoryRuns,
    rt: Runtime,
    folder: StoryFolder,
    shot: int,
    candidate: int,
    drawn: int = 0,
    *,
    budget_usd: Decimal | None = None,
) -> None:
    """``storyreel story pick``: make candidate ``candidate`` the shot's panel on the
    story's last project, then run the story again (only that shot's clip is made anew)."""
    runs.refuse_if_busy(folder.id)
    run = read_run(folder) or {}
    project_id = run.get("project_id") or run.get("last_project_id")
    if not project_id:
        raise NotFound(f"story {folder.id} has not been run yet")
    await record_pick(rt, project_id, shot, candidate, drawn=drawn)
    runs.start(folder, budget_usd=budget_usd, shots=[shot])


async def run_progress(settings: Settings, rt: Runtime, some_id: str) -> dict[str, Any]:
    """A project's progress (``services.progress``) by its id; by a stored story's id, its
    last run's project plus ``story_id`` and ``run`` (``running``, ``succeeded``,
    ``failed``, ``interrupted``), the stage ``done`` once the run succeeded, and ``made``:
    the panels and clips that run made anew (the rest it reused)."""
    if not is_story_id(some_id):
        return await story_progress(rt, some_id)
    folder = story_folder(settings, some_id)
    run = read_run(folder)
    if run is None:
        raise NotFound(f"story {some_id} has not been run yet")
    extra = {"story_id": some_id, "run": run}
    if run.get("project_id"):
        since = datetime.fromisoformat(run["started_at"]) if run.get("started_at") else None
        progress = await story_progress(rt, run["project_id"], since=since) | extra
        if run["state"] == "succeeded":
            progress["stage"] = "done"
        elif run["state"] != "running":
            progress["stage"] = "failed"
            progress["errors"] = [*progress["errors"], run["error"]]
        return progress
    return {
        "project_id": None,
        "stage": "starting" if run["state"] == "running" else "failed",
        "shots": [],
        "errors": [run["error"]] if run.get("error") else [],
        "spent_usd": None,
        "budget_usd": None,
    } | extra
