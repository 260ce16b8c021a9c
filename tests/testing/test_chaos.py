"""The crash-point switch: parsed strictly, silent when unset, and a real SIGKILL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from storyreel.testing import chaos


def test_specs_are_parsed_and_typos_refused() -> None:
    rules = chaos.parse("before_submit:3, during_poll:random:0.5:7")
    assert rules["before_submit"].nth == 3
    assert rules["during_poll"].probability == 0.5
    for bad in ("befor_submit:1", "during_poll:0", "during_poll:random:2", "during_poll:x"):
        with pytest.raises(ValueError):
            chaos.parse(bad)


def run_points(spec: str | None, names: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != chaos.ENV_VAR}
    if spec is not None:
        env[chaos.ENV_VAR] = spec
    code = (
        "from storyreel.testing.chaos import crash_point\n"
        f"for name in {names!r}:\n    print(name, flush=True)\n    crash_point(name)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_the_nth_time_a_point_is_reached_kills_the_process() -> None:
    names = ["before_submit", "during_poll", "before_submit", "before_submit"]
    done = run_points("before_submit:2", names)
    assert done.returncode == -9
    assert done.stdout.split() == names[:3]
    assert "chaos: killed at before_submit #2" in done.stderr


def test_unset_or_other_points_do_nothing() -> None:
    names = ["before_submit", "during_export"]
    assert run_points(None, names).returncode == 0
    assert run_points("during_assembly:1", names).returncode == 0
