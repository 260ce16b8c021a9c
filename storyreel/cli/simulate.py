"""``storyreel simulate``: every provider simulator on one loopback port, for trying
storyreel (and other clients) against faithful fakes with no keys and no spend."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from .common import console, run

if TYPE_CHECKING:
    from storyreel.testing.simulators import SimConfig, SimulatorSuite


async def _serve(port: int, config: SimConfig, providers: list[str] | None) -> None:
    from storyreel.testing.serve import serve_simulators  # imported on use: keeps --help fast

    async with serve_simulators(config, port=port, providers=providers) as suite:
        await _announce_and_wait(suite)


async def _announce_and_wait(suite: SimulatorSuite) -> None:
    console.print(f"# simulators for {', '.join(suite.sims)} on {suite.base_url}", highlight=False)
    console.print(
        "# control: /_sim/stats  /_sim/requests  /_sim/config  /_sim/reset", highlight=False
    )
    for key, value in suite.env().items():
        console.print(f"export {key}={value}", highlight=False, soft_wrap=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def simulate(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Loopback port.")] = 8787,
    latency: Annotated[float, typer.Option(min=0, help="Seconds an image job takes.")] = 1.0,
    video_latency: Annotated[float, typer.Option(min=0, help="Seconds a video job takes.")] = 3.0,
    fail_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of jobs that fail.")] = 0.0,
    provider: Annotated[
        list[str] | None, typer.Option("--provider", "-p", help="Only these (repeatable).")
    ] = None,
    reuse_renders: Annotated[
        bool,
        typer.Option(
            help="Render one output per kind and size and serve marked copies of it: "
            "almost no CPU, for benchmarks and load tests on this machine (outputs stop "
            "following the prompt)."
        ),
    ] = False,
) -> None:
    """Serve the provider simulators and print the settings that point storyreel at them."""
    from storyreel.testing.simulators import SimConfig  # imported on use: keeps --help fast

    config = SimConfig(
        latency=latency,
        video_latency=video_latency,
        fail_rate=fail_rate,
        reuse_renders=reuse_renders,
    )
    run(_serve(port, config, provider or None))
