"""Host-bound providers (a local GPU model): only processes that host them take their jobs."""

from __future__ import annotations

import asyncio

from storyreel.config import LocalSettings, ProviderSettings, Settings
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task


class HostedProvider(ScriptedProvider):
    """A scripted provider whose jobs need something only some hosts have."""

    name = "hosted"
    host_bound = True


def hosted_request() -> GenerationRequest:
    return GenerationRequest(task=Task.TEXT_TO_IMAGE, model="hosted:gpu-model", prompt="p")


async def test_only_a_hosting_process_takes_host_bound_jobs(settings: Settings) -> None:
    ScriptedProvider.reset()
    api_settings = settings.model_copy(update={"local": LocalSettings(worker=False)})
    async with Engine(api_settings, providers=[HostedProvider]) as api_host:
        assert api_host.runtime is not None
        hosted = await submit_job(hosted_request())
        # Ordinary queues still run in this process.
        sketch = await submit_job(
            GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="a hill")
        )
        assert (await wait_job(sketch.id))["status"] == "succeeded"
        await asyncio.sleep(1.5)  # many queue polls: nobody here may dequeue it
        assert ScriptedProvider.submissions[hosted.id] == 0
        assert (await jobs.get_job(api_host.runtime.db, hosted.id)).status == "queued"

    gpu_settings = settings.model_copy(update={"local": LocalSettings(worker=True)})
    async with Engine(gpu_settings, providers=[HostedProvider]):
        result = await wait_job(hosted.id)
    assert result["status"] == "succeeded"
    assert ScriptedProvider.submissions[hosted.id] == 1


async def test_one_machine_takes_its_local_jobs_without_being_told(settings: Settings) -> None:
    """On SQLite everything runs on this machine: `storyreel generate -m local:...` must
    not wait for a `worker --local` that nobody started."""
    ScriptedProvider.reset()
    assert settings.local.worker is None and not settings.is_postgres
    async with Engine(settings, providers=[HostedProvider]):
        job = await submit_job(hosted_request())
        assert (await wait_job(job.id))["status"] == "succeeded"


def test_on_postgresql_only_hosts_started_for_it_take_local_jobs() -> None:
    shared = Settings(database_url="postgresql://db/story")
    assert shared.hosts_local_jobs is False
    assert shared.model_copy(update={"local": LocalSettings(worker=True)}).hosts_local_jobs


async def test_a_provider_added_at_run_time_is_listened_to_beside_a_left_out_one(
    settings: Settings,
) -> None:
    """This process leaves the local queue alone, so it names the queues it takes: one
    added later must join them."""
    ScriptedProvider.reset()
    api_settings = settings.model_copy(update={"local": LocalSettings(worker=False)})
    async with Engine(api_settings) as engine:
        await engine.add_provider(ScriptedProvider)
        job = await submit_job(
            GenerationRequest(task=Task.TEXT_TO_IMAGE, model="scripted:test", prompt="p")
        )
        assert (await wait_job(job.id))["status"] == "succeeded"


def _queue(name: str) -> object:
    import dbos._dbos as dbos_internals

    instance = dbos_internals._dbos_global_instance
    assert instance is not None
    queues = instance._sys_db.list_queues(application_name=instance._sys_db.app_name)
    return next(q for q in queues if q.name == name)


async def test_the_local_queue_runs_one_job_per_process_unless_told_otherwise(
    settings: Settings,
) -> None:
    """One pipeline per process: by default a GPU worker takes one local job at a time."""
    async with Engine(settings):
        assert _queue("storyreel.local")._worker_concurrency == 1  # type: ignore[attr-defined]
        assert _queue("storyreel.sketch")._worker_concurrency is None  # type: ignore[attr-defined]
    wider = settings.model_copy(
        update={"providers": {"local": ProviderSettings(worker_concurrency=3)}}
    )
    async with Engine(wider):
        assert _queue("storyreel.local")._worker_concurrency == 3  # type: ignore[attr-defined]
