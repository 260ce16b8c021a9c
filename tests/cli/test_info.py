"""``storyreel info`` and the data dir rules, as a user meets them: real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storyreel
from storyreel.cli.app import app
from storyreel.cli.schemas import Info, JobList
from storyreel.config import find_project_dir
from tests.e2e.helpers import cli_env
from tests.e2e.helpers import storyreel as run_cli

runner = CliRunner()


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a user who set no STORYREEL_DATA_DIR: the data dir comes from
    the folder the command runs in, or the user data dir (under this XDG_DATA_HOME)."""
    env = cli_env(tmp_path / "unused", XDG_DATA_HOME=str(tmp_path / "xdg"), **extra)
    del env["STORYREEL_DATA_DIR"]
    return env


def job_ids(cwd: Path, env: dict[str, str]) -> list[str]:
    done = run_cli("jobs", "list", "--json", env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return [job.id for job in JobList.model_validate_json(done.stdout).jobs]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"storyreel {storyreel.__version__}\n"


def test_info_says_which_data_dir_and_why_and_never_shows_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_project_dir(tmp_path) is None, "a .storyreel folder above the temp dir"
    monkeypatch.setenv("STORYREEL_PROVIDERS__FAL__API_KEY", "sk-very-secret")
    monkeypatch.setenv("STORYREEL_PROVIDERS__KIE__OPTIONS__UPLOAD_URL", "http://127.0.0.1:9")
    result = runner.invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    info = Info.model_validate_json(result.stdout)
    assert info.data_dir == tmp_path / "xdg-data" / "storyreel"  # XDG_DATA_HOME: conftest
    assert info.data_dir_origin == "user"
    assert info.database == f"sqlite:///{info.data_dir / 'storyreel.db'}"
    assert info.log_file == info.data_dir / "logs" / "storyreel.log"
    keys = {p.name: p.key for p in info.providers}
    assert keys["fal"] == "set" and keys["replicate"] == "missing"
    assert keys["sketch"] == "not needed"
    assert {p.name: p.options for p in info.providers}["kie"] == ["upload_url"]
    assert all(p.loaded and p.builtin for p in info.plugins)
    assert "sk-very-secret" not in result.stdout
    assert not info.data_dir.exists(), "info creates nothing"
    human = runner.invoke(app, ["info"])
    assert "user data dir" in human.stdout and "sk-very-secret" not in human.stdout

    (tmp_path / ".storyreel").mkdir()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    info = Info.model_validate_json(runner.invoke(app, ["info", "--json"]).stdout)
    assert (info.data_dir, info.data_dir_origin) == (tmp_path / ".storyreel", "project")

    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "mine"))
    info = Info.model_validate_json(runner.invoke(app, ["info", "--json"]).stdout)
    assert (info.data_dir, info.data_dir_origin) == (tmp_path / "mine", "STORYREEL_DATA_DIR")


def test_load_plugins_filters_built_ins_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_LOAD_PLUGINS", "sketch, motion")
    info = Info.model_validate_json(runner.invoke(app, ["info", "--json"]).stdout)
    assert [p.name for p in info.providers] == ["motion", "sketch"]
    assert {p.name for p in info.plugins if p.loaded} == {"motion", "sketch"}
    assert info.load_plugins == ["motion", "sketch"]


def test_a_misspelt_provider_option_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_PROVIDERS__FAL__OPTIONS__JWKS_ULR", "http://x")
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 5
    assert result.stderr.strip() == (
        "error: provider 'fal' has no option 'jwks_ulr' "
        "(STORYREEL_PROVIDERS__FAL__OPTIONS__JWKS_ULR); its options: rest_url, jwks_url, "
        "platform_url"
    )


@pytest.mark.slow
def test_jobs_list_is_the_same_from_any_folder_unless_a_project_folder_exists(
    tmp_path: Path,
) -> None:
    assert find_project_dir(tmp_path) is None, "a .storyreel folder above the temp dir"
    env = user_env(tmp_path)
    here, there = tmp_path / "here", tmp_path / "there"
    for folder in (here, there):
        folder.mkdir()
    made = run_cli(
        "generate", "image", "-m", "sketch", "-p", "a lamp", "--json", env=env, cwd=here
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    job_id = json.loads(made.stdout)["job_id"]
    assert job_ids(here, env) == job_ids(there, env) == [job_id]
    assert (tmp_path / "xdg" / "storyreel" / "storyreel.db").is_file()
    assert not (here / ".storyreel").exists() and not (there / ".storyreel").exists()

    (there / ".storyreel").mkdir()
    (there / "sub").mkdir()
    assert job_ids(there / "sub", env) == []  # found by walking up: the project's own jobs
    assert job_ids(here, env) == [job_id]
    info = run_cli("info", "--json", env=env, cwd=there / "sub")
    assert Info.model_validate_json(info.stdout).data_dir == there / ".storyreel"
