"""What the ``find_submitted`` tests share: arming the simulator's lost-answer fault and
reading its billing counters over its own control endpoints, and polling a handle."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2

from storyreel.providers.base import Provider
from storyreel.providers.types import Handle, JobState
from storyreel.testing.simulators import SimulatorSuite


async def lose_next_answer(suite: SimulatorSuite, provider: str) -> None:
    """The next billed submit to ``provider`` is taken but its answer never arrives."""
    async with httpx2.AsyncClient() as client:
        response = await client.post(
            f"{suite.base_url}/_sim/config", json={"provider": provider, "lose_answer": 1}
        )
        response.raise_for_status()


async def stats(suite: SimulatorSuite, provider: str) -> dict[str, Any]:
    async with httpx2.AsyncClient() as client:
        response = await client.get(f"{suite.base_url}/_sim/stats")
        response.raise_for_status()
        data: dict[str, Any] = response.json()[provider]
        return data


async def settle(provider: Provider, handle: Handle) -> JobState:
    for _ in range(300):
        status = await provider.poll(handle)
        if status.state.terminal:
            return status.state
        await asyncio.sleep(0.05)
    raise AssertionError("the request never settled")
