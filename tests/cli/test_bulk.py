"""``storyreel bulk`` through the simulators: the dry run submits nothing, a real run
downloads every video under seed 004's names with an ``index.csv``, and running the same
command again buys nothing."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.cli.app import app
from storyreel.cli.common import EXIT_BUDGET, EXIT_INPUT
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.bulk.helpers import make_images, make_prompts
from tests.e2e.helpers import cli_env, query
from tests.e2e.helpers import storyreel_async as storyreel

PROMPTS = ["Camera slowly zooms in on the subject", "The subject turns and smiles"]
SEED_NAME = re.compile(r"^job_[0-9A-Z]{26}_kling_[a-z0-9_]+\.mp4$")


def read_index(folder: Path) -> list[dict[str, str]]:
    with (folder / "index.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_a_dry_run_prints_the_matrix_and_submits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_images(tmp_path / "imgs", 3)
    make_prompts(tmp_path / "prompts.txt", [*PROMPTS, "Gentle breeze", "A slow pan"])
    async with serve_simulators(SimConfig(), providers=["fal"]) as suite:
        for key, value in cli_env(tmp_path / "data", **suite.env()).items():
            monkeypatch.setenv(key, value)
        args = ["bulk", "prompts.txt", "--images-dir", "imgs", "--dry-run", "--model", "kling"]
        result = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)
        assert (plan["images"], plan["prompts"], plan["jobs"]) == (3, 4, 12)
        assert plan["total_usd"] == "4.200000"  # 12 x kling 5 s at $0.35
        assert [i["image"] for i in plan["items"][:5]] == ["img00.png"] * 4 + ["img01.png"]
        text = await asyncio.to_thread(CliRunner().invoke, app, args)
        assert text.exit_code == 0, text.output
        assert "3 images x 4 prompts = 12 videos" in text.stdout
        assert "estimate $4.20" in text.stdout
        assert list(suite["fal"].requests) == [], "a dry run sent nothing to the provider"
        assert suite["fal"].uploads == 0
    assert query(tmp_path / "data", "SELECT id FROM jobs") == []
    assert not (tmp_path / "downloads").exists()


def test_bad_inputs_are_one_line_and_create_nothing(tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", 2)
    (tmp_path / "imgs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    make_prompts(tmp_path / "prompts.txt", PROMPTS)
    result = CliRunner().invoke(app, ["bulk", "prompts.txt", "--images-dir", "imgs"])
    assert result.exit_code == EXIT_INPUT
    assert "broken.png" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    (tmp_path / "imgs" / "broken.png").unlink()
    result = CliRunner().invoke(
        app, ["bulk", "prompts.txt", "--images-dir", "imgs", "--duration", "7"]
    )
    assert result.exit_code == EXIT_INPUT
    assert "a 7 s clip is not possible" in result.stderr
    assert query(tmp_path / "data", "SELECT id FROM jobs") == []


@pytest.mark.slow
async def test_a_bulk_run_downloads_every_video_and_a_rerun_buys_nothing(
    tmp_path: Path,
) -> None:
    make_images(tmp_path / "imgs", 2)
    make_prompts(tmp_path / "prompts.txt", PROMPTS)
    args = ["bulk", "prompts.txt", "--images-dir", "imgs", "--model", "kling"]
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.3), providers=["fal"]
    ) as suite:
        env = cli_env(tmp_path / "data", **suite.env())
        code, out, err = await storyreel(*args, "--budget", "1.00", env=env, cwd=tmp_path)
        assert code == EXIT_BUDGET, out + err
        assert "over the budget of $1" in err and sum(suite["fal"].submissions.values()) == 0

        code, out, err = await storyreel(*args, env=env, cwd=tmp_path)
        assert code == 0, out + err
        assert "2 images x 2 prompts = 4 videos" in out
        files = sorted(p.name for p in (tmp_path / "downloads").glob("*.mp4"))
        assert len(files) == 4 and all(SEED_NAME.match(f) for f in files), files
        assert any(f.endswith("_kling_camera_slowly_zooms_in_on_the_subject.mp4") for f in files)
        rows = read_index(tmp_path / "downloads")
        assert [(r["image"], r["prompt_number"], r["status"]) for r in rows] == [
            ("img00.png", "1", "succeeded"),
            ("img00.png", "2", "succeeded"),
            ("img01.png", "1", "succeeded"),
            ("img01.png", "2", "succeeded"),
        ]
        assert sorted(r["file"] for r in rows) == files
        assert {r["cost_usd"] for r in rows} == {"0.350000"}
        assert sum(suite["fal"].submissions.values()) == 4
        assert suite["fal"].uploads == 2, "each image is uploaded once (seed 004's cache)"

        (tmp_path / "downloads" / files[0]).unlink()
        code, out, err = await storyreel(*args, "--json", env=env, cwd=tmp_path)
        assert code == 0, out + err
        summary = json.loads(out)
        assert (summary["created"], summary["reused"]) == (0, 4)
        assert sum(suite["fal"].submissions.values()) == 4, "the rerun bought nothing"
        assert (tmp_path / "downloads" / files[0]).exists(), "a lost download is restored"
        assert len(summary["files"]) == 4
