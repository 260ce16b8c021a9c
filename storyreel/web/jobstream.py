"""The Jobs page's filters and its live stream: server-sent events that carry the rows
(or the detail view) of the jobs that changed, as HTML fragments htmx swaps in.

Changes come from the process's shared ``JobFeed`` (one query per tick for every open
tab), so a connection costs the database nothing of its own beyond rendering the rows that
moved. A row already on the page is replaced by id (``sse-swap="job-<id>"``); a job newer
than the page's top row that matches its filters arrives as ``new`` and is put on top.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from storyreel.api.state import ApiState
from storyreel.catalog import Catalog
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service
from storyreel.services.job_feed import job_feed
from storyreel.store.models import Job
from storyreel.vocabulary import Task

from .jobrows import job_row
from .templating import templates

#: A connection ends after this long; the browser's EventSource reconnects by itself, so a
#: stream never outlives a server that is shutting down by more than this.
STREAM_SECONDS = 300.0
KINDS = ("image", "video", "audio", "text")


@dataclass(frozen=True)
class JobFilter:
    """What the table shows: a state, a provider, a model and a kind of output."""

    status: JobState | None = None
    provider: str | None = None
    model: str | None = None
    kind: str | None = None

    @classmethod
    def of(
        cls, status: str | None, provider: str | None, model: str | None, kind: str | None
    ) -> JobFilter:
        """From query parameters; empty means any. An unknown state or kind is a 422 by
        the route's validation, never silently ignored."""
        return cls(
            status=JobState(status) if status else None,
            provider=provider or None,
            model=model or None,
            kind=kind or None,
        )

    def tasks(self) -> list[str] | None:
        if self.kind is None:
            return None
        return [task.value for task in Task if task.output_kind == self.kind]

    def matches(self, job: Job) -> bool:
        tasks = self.tasks()
        return (
            (self.status is None or job.status == self.status.value)
            and (self.provider is None or job.provider == self.provider)
            and (self.model is None or job.model == self.model)
            and (tasks is None or job.task in tasks)
        )

    def query(self, **more: str | None) -> str:
        """The filters (and ``more``) as a query string, empty values left out."""
        values = {
            "status": self.status.value if self.status else None,
            "provider": self.provider,
            "model": self.model,
            "kind": self.kind,
        } | more
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def active(self) -> bool:
        return any((self.status, self.provider, self.model, self.kind))


def fragment(template: str, **context: Any) -> str:
    """A fragment rendered outside a request (the stream has no page to render into)."""
    return templates.env.get_template(template).render(**context)


async def row_events(
    state: ApiState, filters: JobFilter, since: str, *, lifetime: float = STREAM_SECONDS
) -> AsyncIterator[dict[str, str]]:
    """Fragments of the table's changed rows until ``lifetime`` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    catalog = Catalog.load(state.rt.settings)
    announced: set[str] = set()
    feed = job_feed(state.rt)
    async with feed.subscribe() as queue:
        while (left := deadline - loop.time()) > 0:
            try:
                batch = await asyncio.wait_for(queue.get(), timeout=left)
            except TimeoutError:
                return
            for job in batch:
                fresh = job.id > since and job.id not in announced
                if fresh and not filters.matches(job):
                    continue
                if fresh:
                    announced.add(job.id)
                row = await job_row(
                    state.rt, job, catalog=catalog, client=state.client, positions=feed.positions
                )
                html = fragment("jobs/row.html", job=row, retried_as=None)
                yield {"event": "new" if fresh else f"job-{job.id}", "data": html}


async def detail_events(
    state: ApiState, job_id: str, *, lifetime: float = STREAM_SECONDS
) -> AsyncIterator[dict[str, str]]:
    """The detail view of one job each time it changes; ``end`` once it is final."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    catalog = Catalog.load(state.rt.settings)
    async with job_feed(state.rt).subscribe() as queue:
        while (left := deadline - loop.time()) > 0:
            try:
                batch = await asyncio.wait_for(queue.get(), timeout=left)
            except TimeoutError:
                return
            if not any(job.id == job_id for job in batch):
                continue
            job = await job_service.get_job(state.rt, job_id)  # with its outputs
            row = await job_row(state.rt, job, catalog=catalog, client=state.client)
            html = fragment("jobs/detail_body.html", job=row, record=job)
            yield {"event": "detail", "data": html}
            if row.terminal:
                yield {"event": "end", "data": ""}
                return
