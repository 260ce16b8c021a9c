"""The database goes away for ten seconds in the middle of a story run.

A TCP proxy (``storyreel.testing.tcp_proxy``) sits between the CLI and the shared
PostgreSQL server, which must never be restarted by a test; ``cut(10)`` drops every
connection and refuses new ones, as a server restart does. The run must ride it out:
exit 0, the whole video, no traceback on the terminal, and no job bought twice.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from storyreel.media.probe import probe_video
from storyreel.testing.tcp_proxy import ThreadedTcpProxy

from .helpers import cli_env, spawn, storyreel

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SHOTS = 6
STORY = (
    """
title: Blip test
characters:
  - {name: Ada, description: short black hair and a yellow coat}
beats:
  - setting: city street at night, rain
    shots:
"""
    + "".join(
        f"      - {{action: Ada walks past shop window {n}., characters: [Ada]}}\n"
        for n in range(1, SHOTS + 1)
    )
    + """
render: {width: 320, height: 180, fps: 12, duration: 1, transition_frames: 4}
"""
)
CUT_SECONDS = 10.0


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        try:
            row = conn.execute(sql).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def _wait_for_panels(run: subprocess.Popen[str], url: str, at_least: int) -> int:
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and run.poll() is None:
        done = _count(
            url,
            "SELECT count(*) FROM jobs WHERE task IN ('text-to-image', 'reference-to-image') "
            "AND status = 'succeeded'",
        )
        if done >= at_least:
            break
        time.sleep(0.1)
    return done


def test_a_story_run_rides_out_a_ten_second_database_cut(tmp_path: Path, postgres_url: str) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    target = make_url(postgres_url)
    with ThreadedTcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
        env = cli_env(
            tmp_path / "data",
            STORYREEL_DATABASE_URL=proxied,
            STORYREEL_PROVIDERS__SKETCH__LATENCY="1.5",
            STORYREEL_PROVIDERS__SKETCH__CONCURRENCY="2",
            STORYREEL_PROVIDERS__MOTION__LATENCY="0.5",
        )
        started = time.monotonic()
        run = spawn("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
        try:
            done = _wait_for_panels(run, postgres_url, at_least=2)
            assert run.poll() is None and done < SHOTS, "the run ended before the cut"
            proxy.cut(CUT_SECONDS)
            cut_at = time.monotonic()
            output, _ = run.communicate(timeout=240)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
    print(
        f"run took {time.monotonic() - started:.1f} s, finished "
        f"{time.monotonic() - cut_at:.1f} s after a {CUT_SECONDS:.0f} s cut; "
        f"{proxy.proxy.refused} connections refused during the cut\n{output}"
    )
    log = tmp_path / "data" / "logs" / "storyreel.log"
    assert run.returncode == 0, output + "\n--- log ---\n" + log.read_text()[-5000:]
    assert proxy.proxy.refused > 0, "nothing tried the database during the cut"
    assert "Traceback" not in output and "Error" not in output, output
    assert len(output.splitlines()) < 40, output
    assert "Traceback" in log.read_text() or "retrying" in log.read_text()
    _assert_finished_once(tmp_path, postgres_url)


def _assert_finished_once(tmp_path: Path, postgres_url: str) -> None:
    video = probe_video(tmp_path / "out" / "story.mp4")
    assert video.frames == SHOTS * 12 + (SHOTS - 1) * 4
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT request_hash, count(*), min(status) FROM jobs GROUP BY 1")
        jobs = rows.fetchall()
    assert len(jobs) == 2 * SHOTS + 1, "a panel and a clip per shot, and Ada's sheet"
    assert all(n == 1 for _, n, _ in jobs), f"a request was made into two jobs: {jobs}"
    assert {status for _, _, status in jobs} == {"succeeded"}


def test_a_database_gone_for_good_is_one_line_and_the_same_command_resumes(
    tmp_path: Path, postgres_url: str
) -> None:
    """Past ``database_retry_seconds`` the run stops the way Ctrl-C stops it (exit 75, one
    line), its workflows left pending, and running the command again finishes the story."""
    (tmp_path / "story.yaml").write_text(STORY)
    target = make_url(postgres_url)
    with ThreadedTcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
        env = cli_env(
            tmp_path / "data",
            STORYREEL_DATABASE_URL=proxied,
            STORYREEL_DATABASE_RETRY_SECONDS="3",
            STORYREEL_PROVIDERS__SKETCH__LATENCY="1.5",
            STORYREEL_PROVIDERS__SKETCH__CONCURRENCY="2",
        )
        run = spawn("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
        try:
            done = _wait_for_panels(run, postgres_url, at_least=2)
            assert run.poll() is None and done < SHOTS, "the run ended before the cut"
            proxy.cut(300)
            cut_at = time.monotonic()
            output, _ = run.communicate(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
        gave_up = time.monotonic() - cut_at
        proxy.restore()
        print(f"gave up {gave_up:.1f} s into the cut:\n{output}")
        assert run.returncode == 75, output
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, output
        assert errors[0].startswith("error: lost the database ("), output
        assert errors[0].endswith("run the same command again to resume"), output
        assert gave_up < 30, "it gives up after database_retry_seconds, not DBOS's forever"
        assert "Traceback" not in output, output
        assert not (tmp_path / "out" / "manifest.json").exists()

        rerun = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    _assert_finished_once(tmp_path, postgres_url)
