"""Schemathesis over the served OpenAPI spec: no generated request gets a 5xx.

One ``storyreel serve --no-jobs`` process (jobs are only queued, so nothing is rendered
or bought); a few examples per operation keep it short. Operations that wait for a job
(seed 001's generation, the OpenAI gateway) or fetch user URLs from the internet (seed
004's POSTs) are covered by their own tests, not fuzzed here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from storyreel.testing.serve import free_port
from tests.e2e.helpers import cli_env, spawn

pytestmark = pytest.mark.slow
EXAMPLES = 5
SKIPPED = r"^/(generate|generate-video|v1/images/.*|jobs|images)$"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path
    port = free_port()
    env = cli_env(folder / "data", STORYREEL_API__WAIT_SECONDS="1")
    process = spawn("serve", "--no-jobs", "--port", str(port), env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "died")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_no_request_gets_a_server_error(served: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json").exclude(
        method="POST", path_regex=SKIPPED
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]}"
                )

        check()
    assert operations > 20
    assert not failures, "\n".join(failures[:20])
