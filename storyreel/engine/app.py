"""Starting and stopping the engine in a process: migrations, DBOS, queues, liveness.

Any storyreel process that starts the engine also executes queued work and resumes
interrupted jobs; ``storyreel worker`` is just a process that does nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import structlog
from dbos import DBOS, DBOSClient, DBOSConfig

import storyreel
from storyreel.config import Settings
from storyreel.errors import StoryreelError
from storyreel.media.encode import sweep_stale_scratch
from storyreel.providers.base import Provider
from storyreel.store.assets import sweep_partials
from storyreel.store.db import migrate

from . import executors, handover, sysdb, wakeups
from .events import route_to_stdlib_logging
from .runtime import Runtime, set_runtime
from .shutdown import cancel_tasks, stop_dequeuing, workflow_tasks
from .workflows import queue_name

if TYPE_CHECKING:
    from . import webhook_server

log = structlog.get_logger(__name__)

APP_NAME = "storyreel"
"""DBOS's application name: it owns the queues in the system database."""


def _listened_queues() -> list[str] | None:
    """The live list of queues this process dequeues from (None: all of them). DBOS 3.4
    re-reads it every second and offers no call to extend it after launch, so a provider
    added at run time is appended to it."""
    import dbos._dbos as dbos_internals

    instance = dbos_internals._dbos_global_instance
    listening: list[str] | None = getattr(instance, "_listening_queues", None)
    return listening


class Engine:
    """One per process. ``async with Engine(settings) as engine:`` runs it."""

    def __init__(self, settings: Settings, *, providers: Sequence[type[Provider]] = ()) -> None:
        """``providers``: extra provider classes (embedding, tests), registered before
        DBOS launches, so a workflow it recovers at once already finds its provider."""
        self.settings = settings
        self._extra_providers = tuple(providers)
        self.executor_id = settings.executor_id or executors.new_executor_id()
        self.runtime: Runtime | None = None
        self._liveness: asyncio.Task[None] | None = None
        self._webhooks: webhook_server.BackgroundServer | None = None
        self._scanner: wakeups.Scanner | None = None

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        route_to_stdlib_logging()
        await asyncio.to_thread(migrate, self.settings.app_database_url)
        self.runtime = Runtime.build(self.settings)
        for cls in self._extra_providers:
            self.runtime.registry.register(cls)
        set_runtime(self.runtime)
        # A process killed mid-render left its partial output behind; its ffmpeg died with it.
        swept = await asyncio.to_thread(sweep_stale_scratch, self.runtime.scratch_dir)
        swept += await asyncio.to_thread(sweep_partials, self.runtime.assets.root)
        if swept:
            log.info("removed scratch files of dead processes", paths=[str(p) for p in swept])
        config: DBOSConfig = {
            "name": APP_NAME,
            "system_database_url": self.settings.system_database_url,
            "application_version": f"storyreel-{storyreel.__version__}",
            "executor_id": self.executor_id,
            "log_level": "WARNING",
            "notification_listener_polling_interval_sec": 0.1,
            "db_engine_kwargs": sysdb.engine_options(self.settings.system_database_url),
        }
        listened = self._listened_providers()
        fresh = sysdb.is_fresh(self.settings.system_database_url)
        await asyncio.to_thread(sysdb.prepare, self.settings.system_database_url)
        if fresh:
            await asyncio.to_thread(self._declare_queues_before_launch, listened)
        DBOS(config=config)
        wakeups.install()
        DBOS.listen_queues([queue_name(name) for name in listened])
        # Launched on this thread so DBOS adopts this loop: queued workflows then run
        # here, where ``stop`` can cancel them and let their connections close, instead
        # of on DBOS's private loop, which closes under connections still shutting down.
        DBOS.launch()
        sysdb.cache_version_check()
        for name in self.runtime.registry.names():
            await self._register_queue(name)
        self._scanner = wakeups.Scanner(
            lambda: list(_listened_queues() or []), self.settings.queue_poll_interval
        )
        self._scanner.start()
        await executors.register(self.runtime.db, self.executor_id)
        await self.recover_dead_executors()
        self._liveness = asyncio.create_task(self._keep_alive())
        if self.settings.webhook_listen:
            from . import webhook_server  # imported on use: uvicorn is not every command's

            host, _, port = self.settings.webhook_listen.rpartition(":")
            self._webhooks = webhook_server.BackgroundServer(
                webhook_server.webhook_app(), host or "127.0.0.1", int(port)
            )
            await self._webhooks.start()

    def _takes(self, cls: type[Provider]) -> bool:
        """Whether this process dequeues ``cls``'s jobs: every provider's, except a
        host-bound one's (a local model) unless this process hosts it."""
        return not cls.host_bound or self.settings.hosts_local_jobs

    def _listened_providers(self) -> list[str]:
        """The providers whose queues this process polls: those it takes (``_takes``) and
        can run here (installed, with their key).

        DBOS gives every queue a thread that polls the system database several times a
        second, and ten idle provider queues cost more CPU than the jobs themselves.
        Nothing is lost: a job is only ever created for a provider that is available
        where it is created (``submit_job``, failover), and a process without a
        provider's key could only fail its jobs; one that has the key (a worker) takes
        them."""
        assert self.runtime is not None
        listened = []
        for name in self.runtime.registry.names():
            try:
                if self._takes(self.runtime.registry.get(name)) and (
                    self.runtime.provider(name).available()
                ):
                    listened.append(name)
            except StoryreelError as exc:
                log.info("provider not usable here", provider=name, error=str(exc))
        return listened

    def _queue_options(self, provider: str) -> dict[str, Any]:
        assert self.runtime is not None
        cls = self.runtime.registry.get(provider)
        knobs = self.settings.provider(provider)
        options: dict[str, Any] = {
            "global_concurrency": knobs.concurrency,
            # Woken when there is work (``wakeups``); DBOS's own poll is only the net.
            "polling_interval_sec": wakeups.IDLE_POLL_SECONDS,
            "on_conflict": "always_update",
        }
        worker_concurrency = knobs.worker_concurrency or cls.default_worker_concurrency
        if worker_concurrency:
            options["worker_concurrency"] = worker_concurrency
        if knobs.rate_limit_per_minute:
            options["limiter"] = {"limit": knobs.rate_limit_per_minute, "period": 60.0}
        return options

    async def _register_queue(self, provider: str) -> None:
        await DBOS.register_queue_async(queue_name(provider), **self._queue_options(provider))

    def _declare_queues_before_launch(self, providers: list[str]) -> None:
        """Create a new system database and its queues before DBOS launches.

        DBOS 3.4's queue manager lists the queues when it starts and then once a second:
        queues first registered after launch (always, on a new database) wait up to a
        second before their first job is taken, which a new installation's first story
        or a benchmark pays in full. Its public ``DBOS.migrate`` and a ``DBOSClient``
        create them first; launch registers them again with the same options."""
        assert self.runtime is not None
        url = self.settings.system_database_url
        DBOS.migrate(url)
        client = DBOSClient(system_database_url=url, application_name=APP_NAME)
        try:
            for name in providers:
                client.register_queue(queue_name(name), **self._queue_options(name))
        finally:
            client.destroy()

    async def add_provider(self, cls: type[Provider]) -> None:
        """Register a provider class at run time and give it a queue. A workflow DBOS
        recovers when it launches may run before this; pass ``providers=`` instead when
        jobs of this provider may be pending."""
        assert self.runtime is not None
        self.runtime.registry.register(cls)
        listening = _listened_queues()
        usable = self._takes(cls) and self.runtime.provider(cls.name).available()
        if listening is not None and usable and queue_name(cls.name) not in listening:
            listening.append(queue_name(cls.name))
        await self._register_queue(cls.name)

    async def recover_dead_executors(self) -> list[str]:
        """Hand the pending workflows of dead processes back to the queues."""
        assert self.runtime is not None
        dead = await executors.find_dead(self.runtime.db, self.executor_id)
        if dead:
            await asyncio.to_thread(DBOS._recover_pending_workflows, dead)
            await executors.forget(self.runtime.db, dead)
            log.info("recovered workflows of dead executors", executors=dead)
        return dead

    async def _keep_alive(self) -> None:
        assert self.runtime is not None
        while True:
            await asyncio.sleep(executors.HEARTBEAT_SECONDS)
            try:
                await executors.heartbeat(self.runtime.db, self.executor_id)
                await self.recover_dead_executors()
            except Exception as exc:  # noqa: BLE001 - liveness must outlive a DB hiccup
                log.warning("executor heartbeat failed", error=str(exc))

    async def stop(self) -> None:
        if self._scanner is not None:
            await asyncio.to_thread(self._scanner.stop)
            self._scanner = None
        handover.clear()
        if self._webhooks is not None:
            await self._webhooks.stop()
        if self._liveness is not None:
            self._liveness.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._liveness
        # The executor row stays: if a workflow was left pending, the next process sees
        # this pid gone and hands it back to the queues.
        await stop_dequeuing()
        await cancel_tasks(workflow_tasks())
        await asyncio.to_thread(DBOS.destroy)
        # DBOS installed its thread pool as this loop's default executor and has just shut
        # it down; a process that goes on (an embedding app, a test) needs a working one.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor())
        if self.runtime is not None:
            await self.runtime.close()
        set_runtime(None)
        self.runtime = None
