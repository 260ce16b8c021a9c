"""A budget crossed mid-run stops the run with what was spent within the budget, and the
same command with a raised budget finishes it without buying anything twice.

The panels run on Replicate's z-image-turbo, billed per GPU second: the catalog expects
0.6 s a panel ($0.000915) but the simulator meters 6 s ($0.00915), as a slow day would.
The estimate ($0.00366) fits a $0.01 budget, so the run starts; after the first panel the
next one would cross it and is never submitted.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.cli.common import EXIT_BUDGET
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.e2e.helpers import cli_env, query, storyreel

pytestmark = pytest.mark.slow

SHOTS = 4
STORY = (
    "title: Budget mid run\nbeats:\n  - setting: harbour at dusk\n    shots:\n"
    + "".join(f"      - {{action: Wave {n} breaks on the wall}}\n" for n in range(1, SHOTS + 1))
    + "render: {image_model: z-image-turbo, width: 320, height: 180, fps: 8, duration: 1}\n"
)


def spent(data: Path) -> Decimal:
    rows = query(data, "SELECT cost_usd, reserved_usd FROM jobs")
    return sum((Decimal(str(c if c is not None else r or 0)) for c, r in rows), Decimal(0))


async def test_a_budget_crossed_mid_run_stops_and_resumes_without_buying_twice(
    tmp_path: Path,
) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    async with serve_simulators(SimConfig(latency=0.1), files_dir=tmp_path / "sim") as suite:
        suite["replicate"].usage = {"predict_time": 6.0}
        data = tmp_path / "data"
        env = cli_env(data, **suite.env(), STORYREEL_PROVIDERS__REPLICATE__CONCURRENCY="1")

        def run(budget: str) -> tuple[int, str, str]:
            result = storyreel(
                "story", "run", "story.yaml", "--budget", budget, env=env, cwd=tmp_path
            )
            return result.returncode, result.stdout, result.stderr

        code, out, err = await asyncio.to_thread(run, "0.01")
        assert code == EXIT_BUDGET, out + err
        assert "estimate: $0.00366" in out
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "budget reached" in lines[0], err
        assert "raise the budget and run the same command again" in lines[0]
        assert spent(data) <= Decimal("0.01")
        assert sum(suite["replicate"].submissions.values()) == 1

        code, out, err = await asyncio.to_thread(run, "1.00")
        assert code == 0, out + err
        assert sum(suite["replicate"].submissions.values()) == SHOTS
        assert spent(data) == SHOTS * Decimal("0.00915")
        refused = query(data, "SELECT cost_usd FROM jobs WHERE error_reason = 'budget'")
        assert refused and all(Decimal(str(c)) == 0 for (c,) in refused)
