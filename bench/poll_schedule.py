"""How long a job holds its queue slot against how long the provider took, and how many
HTTP requests it makes: the old poll schedule (a poll right after the submit, then 2 -> 3
-> 4.5 s) against the new one (first poll near the model's learned latency), side by side
in one run, through the fal simulator.

    python bench/poll_schedule.py [--image 2] [--video 6] [--jobs 3]

Rows: ``old`` and ``new`` run the schedule alone (the fal adapter, submit -> wait -> poll
-> result, no engine), after the same warm-up jobs teach ``new`` the latency as the engine
learns it; ``engine`` is the whole engine (DBOS steps, database, download) with default
settings, ``engine+webhooks`` the same with a public URL. ``seen``: submit to the poll that found
the job done (what the schedule decides); ``held``: the whole slot (the engine's adds the
download, thumbnail and database writes); the issue's goal bounds ``held/prov`` at 1.10.
Ratios are means over the jobs, ``worst`` the largest ``held/prov``; ``polls`` and
``requests`` (submit, polls, result) the most any job made.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine import jobs, latency
from storyreel.engine.app import Engine
from storyreel.engine.schedule import poll_schedule
from storyreel.engine.service import submit_job, wait_job
from storyreel.ids import new_id
from storyreel.media.images import image_to_png
from storyreel.providers.base import ProviderContext
from storyreel.providers.fal import FalProvider
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import free_port, serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

IMAGE = "fal:fal-ai/flux-2/turbo"
VIDEO = "fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video"
WARM_UP = 3
Delay = Callable[[float, int], float]


@dataclass
class Run:
    held: float  # submit to outputs fetched (engine: finished_at - submit_started_at)
    seen: float  # submit to the poll that found the job done
    provider: float  # the simulator's own time for the job
    polls: int
    requests: int


def request(assets: AssetStore, model: str, seed: int) -> GenerationRequest:
    if model == IMAGE:
        return GenerationRequest(task=Task.TEXT_TO_IMAGE, model=model, prompt="Mira", seed=seed)
    sha, _ = assets.put(
        image_to_png(Image.new("RGB", (64, 64), (seed % 255, 90, 160))), "image/png"
    )
    return GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        model=model,
        prompt="Mira walks",
        seed=seed,
        references=(Reference(role=RefRole.FIRST_FRAME, asset=sha),),
    )


def old_delay(elapsed: float, polls: int) -> float:
    """The schedule before this change: at once, then 2 s growing by 1.5x to 30 s."""
    return 0.0 if polls == 0 else min(30.0, 2.0 * 1.5 ** (polls - 1))


def new_delay(expected: float | None, learned: bool) -> Delay:
    def delay(elapsed: float, polls: int) -> float:
        return poll_schedule(expected, elapsed=elapsed, polls=polls, confident=learned)

    return delay


async def adapter_job(
    provider: FalProvider, suite: SimulatorSuite, req: GenerationRequest, delay: Delay
) -> Run:
    started = time.time()
    handle = await provider.submit(req, job_id=new_id(), webhook_url=None)
    polls = 0
    while True:
        await asyncio.sleep(delay(time.time() - started, polls))
        polls += 1
        if (await provider.poll(handle)).state.terminal:
            break
    seen = time.time() - started
    await provider.result(handle)
    held = time.time() - started
    sim_job = suite["fal"].jobs[handle.request_id]
    assert sim_job.finished is not None
    return Run(held, seen, sim_job.finished - sim_job.created, polls, polls + 2)


async def adapter_rows(
    suite: SimulatorSuite, root: Path, model: str, count: int
) -> dict[str, list[Run]]:
    assets = AssetStore(root / "assets")
    provider = FalProvider(
        ProviderContext(suite.provider_settings("fal"), assets, root / "scratch")
    )
    try:
        old = await asyncio.gather(
            *(
                adapter_job(provider, suite, request(assets, model, i), old_delay)
                for i in range(count)
            )
        )
        # Learn as the engine does (engine/latency.py), starting from the catalog's figure.
        samples: list[float] = []
        for i in range(WARM_UP):
            figure = latency.estimate(samples)
            learned = figure is not None
            if figure is None:
                figure = Catalog.builtin().resolve(model).typical_latency()
            run = await adapter_job(
                provider, suite, request(assets, model, 100 + i), new_delay(figure, learned)
            )
            samples.insert(0, run.held * latency.PROBE if run.polls <= 1 else run.held)
        delay = new_delay(latency.estimate(samples), True)
        new = await asyncio.gather(
            *(
                adapter_job(provider, suite, request(assets, model, 200 + i), delay)
                for i in range(count)
            )
        )
    finally:
        await provider.aclose()
    return {"old schedule": list(old), "new schedule": list(new)}


async def engine_job(engine: Engine, suite: SimulatorSuite, req: GenerationRequest) -> Run:
    job = await submit_job(req)
    assert (await wait_job(job.id))["status"] == "succeeded"
    assert engine.runtime is not None
    row = await jobs.get_job(engine.runtime.db, job.id)
    assert row.handle and row.finished_at and row.submit_started_at
    sim_job = suite["fal"].jobs[row.handle["request_id"]]
    assert sim_job.finished is not None
    calls = [r for r in suite["fal"].requests if row.handle["request_id"] in r["path"]]
    held = (row.finished_at - row.submit_started_at).total_seconds()
    seen = [r["at"] for r in calls if r["path"].endswith("/status")][-1] - sim_job.created
    return Run(held, seen, sim_job.finished - sim_job.created, row.polls, 1 + len(calls))


async def engine_rows(
    suite: SimulatorSuite, root: Path, model: str, count: int, *, webhooks: bool
) -> list[Run]:
    latency.clear_cache()
    extra: dict[str, str] = {}
    if webhooks:
        port = free_port()
        extra = {"public_url": f"http://127.0.0.1:{port}", "webhook_listen": f"127.0.0.1:{port}"}
    settings = Settings(
        data_dir=root / "data",
        queue_poll_interval=0.05,
        providers={"fal": suite.provider_settings("fal")},
        **extra,  # type: ignore[arg-type]
    )
    async with Engine(settings) as engine:
        assert engine.runtime is not None
        assets = engine.runtime.assets
        for i in range(WARM_UP):
            await engine_job(engine, suite, request(assets, model, 300 + i))
        runs = await asyncio.gather(
            *(engine_job(engine, suite, request(assets, model, 400 + i)) for i in range(count))
        )
    return list(runs)


def report(title: str, rows: dict[str, list[Run]]) -> None:
    print(f"\n{title}")
    print(
        f"  {'schedule':<16} {'provider s':>10} {'seen s':>6} {'seen/prov':>9} "
        f"{'held s':>6} {'held/prov':>9} {'worst':>5} {'polls':>5} {'requests':>8}"
    )
    for name, runs in rows.items():
        provider = statistics.mean(r.provider for r in runs)
        seen = statistics.mean(r.seen for r in runs)
        seen_ratio = statistics.mean(r.seen / r.provider for r in runs)
        held = statistics.mean(r.held for r in runs)
        ratio = statistics.mean(r.held / r.provider for r in runs)
        worst = max(r.held / r.provider for r in runs)
        polls = max(r.polls for r in runs)
        requests = max(r.requests for r in runs)
        print(
            f"  {name:<16} {provider:>10.2f} {seen:>6.2f} {seen_ratio:>9.2f} "
            f"{held:>6.2f} {ratio:>9.2f} {worst:>5.2f} {polls:>5} {requests:>8}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=float, default=2.0, help="simulated image latency, s")
    parser.add_argument("--video", type=float, default=6.0, help="simulated video latency, s")
    parser.add_argument("--jobs", type=int, default=3, help="measured jobs per row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = SimConfig(latency=args.image, video_latency=args.video)
        async with serve_simulators(config, providers=["fal"], files_dir=root / "sim") as suite:
            for model, label in (
                (VIDEO, f"video, {args.video:g} s"),
                (IMAGE, f"image, {args.image:g} s"),
            ):
                tag = model.rsplit("/", 1)[-1]
                rows = await adapter_rows(suite, root / f"adapter-{tag}", model, args.jobs)
                rows["engine"] = await engine_rows(
                    suite, root / f"engine-{tag}", model, args.jobs, webhooks=False
                )
                rows["engine+webhooks"] = await engine_rows(
                    suite, root / f"hooks-{tag}", model, args.jobs, webhooks=True
                )
                report(
                    f"{label} ({model}), {args.jobs} jobs per row, max over jobs for polls", rows
                )


if __name__ == "__main__":
    asyncio.run(main())
