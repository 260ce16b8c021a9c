"""Best-of-N: every candidate is drawn and kept, the highest-scoring one is chosen, a user's
pick re-animates only its shot and survives a re-run; a threshold draws more candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.story.consistency.candidates import candidate_seed
from storyreel.story.consistency.offline import OfflineScorer
from tests.e2e.helpers import cli_env, query, storyreel

STORY = """
title: Candidates
seed: 11
characters:
  - {name: Ada, description: a woman with a yellow coat and black hair}
beats:
  - setting: a park at noon
    shots:
      - {action: Ada reads under a tree, characters: [Ada], camera: wide shot}
      - {action: Ada looks up, characters: [Ada], candidates: 1}
render:
  width: 320
  height: 180
  fps: 8
  duration: 1
  transition_frames: 2
  candidates: 3
"""


def _candidates(data: Path, action: str) -> list[tuple[int, str]]:
    """(seed, panel sha) of every panel job of the shot whose prompt has ``action``."""
    rows = query(
        data,
        "SELECT j.request, o.asset_sha256 FROM jobs j JOIN job_outputs o ON o.job_id = j.id "
        f"WHERE j.request LIKE '%{action}%' AND j.task != 'image-to-video'",
    )
    return sorted((json.loads(r)["seed"], sha) for r, sha in rows)


def _panel(out: Path, number: int) -> str:
    manifest = json.loads((out / "manifest.json").read_text())
    return str(manifest["shots"][number - 1]["panel"]["sha256"])


def _clip(out: Path, number: int) -> str:
    manifest = json.loads((out / "manifest.json").read_text())
    return str(manifest["shots"][number - 1]["clip"]["sha256"])


def _run(tmp_path: Path, story: str) -> tuple[Path, Path, dict[str, str]]:
    """Write ``story`` and run it once: (data dir, out dir, the CLI's environment)."""
    (tmp_path / "story.yaml").write_text(story)
    data, out = tmp_path / "data", tmp_path / "out"
    env = cli_env(data)
    ran = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return data, out, env


@pytest.mark.slow
def test_best_of_n_picks_the_highest_and_a_user_pick_survives_a_rerun(tmp_path: Path) -> None:
    data, out, env = _run(tmp_path, STORY)
    shot1 = _candidates(data, "Ada reads under a tree")
    assert [seed for seed, _ in shot1] == sorted(candidate_seed(11, k) for k in range(3))
    assert len({sha for _, sha in shot1}) == 3, "candidates differ"
    assert len(_candidates(data, "Ada looks up")) == 1, "a shot's own candidates: 1"
    # The scorer's choice is the candidate that scores highest against Ada's sheet.
    (sheet,) = query(data, "SELECT sheet_asset FROM characters")[0]
    scorer = OfflineScorer()
    asset = next((data / "assets" / sheet[:2] / sheet[2:4]).glob(f"{sheet}.*")).read_bytes()
    ref = scorer.reference(asset)

    def score(sha: str) -> float:
        path = next((data / "assets" / sha[:2] / sha[2:4]).glob(f"{sha}.*"))
        return float(scorer.find(path.read_bytes(), ref).similarity)

    best = max(shot1, key=lambda c: (score(c[1]), -c[0]))
    assert _panel(out, 1) == best[1]
    clip2 = _clip(out, 2)

    other = next(sha for _, sha in shot1 if sha != best[1])
    number = 1 + [sha for _, sha in sorted(shot1, key=lambda c: c[0])].index(other)
    picked = storyreel(
        "story", "pick", "story.yaml", "--shot", "1", "--candidate", str(number), "--out", "out",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert picked.returncode == 0, picked.stdout + picked.stderr
    assert _panel(out, 1) == other and _clip(out, 2) == clip2, "only shot 1 re-animated"
    again = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert again.returncode == 0
    assert _panel(out, 1) == other, "the user's pick did not survive a re-run"

    bad = storyreel(
        "story", "pick", "story.yaml", "--shot", "2", "--candidate", "2", env=env, cwd=tmp_path
    )
    assert bad.returncode == 3 and "shot 2 draws 1 candidate(s); pick 1 to 1" in bad.stderr


@pytest.mark.slow
def test_min_consistency_redraws_at_most_max_redraws_times(tmp_path: Path) -> None:
    story = STORY.replace("  candidates: 3\n", "  candidates: 1\n  min_consistency: 1.0\n")
    story += "  max_redraws: 2\n"
    (tmp_path / "story.yaml").write_text(story)
    ran = storyreel("story", "run", "story.yaml", "--out", "out", env=cli_env(tmp_path / "data"),
                    cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    # No panel reaches 1.0: each shot is drawn once and redrawn twice.
    assert len(_candidates(tmp_path / "data", "Ada reads under a tree")) == 3
    assert len(_candidates(tmp_path / "data", "Ada looks up")) == 3


ENDS_ON_NEXT = """
title: Ends on the pick
seed: 11
characters:
  - {name: Ada, description: a woman with a yellow coat and black hair}
beats:
  - setting: a park at noon
    shots:
      - {action: Ada walks to the bench, characters: [Ada], end_on_next: true}
      - {action: Ada sits on the bench, characters: [Ada], candidates: 3}
render:
  width: 320
  height: 180
  fps: 8
  duration: 1
  transition_frames: 2
"""


def _last_frame(data: Path, number: int) -> str:
    """The panel shot ``number``'s clip animates into (its clip request's last frame)."""
    ((request,),) = query(
        data,
        "SELECT j.request FROM shots s JOIN jobs j ON j.id = s.clip_job_id "
        f"WHERE s.number = {number}",
    )
    (last,) = [r["asset"] for r in json.loads(request)["references"] if r["role"] == "last_frame"]
    return str(last)


@pytest.mark.slow
def test_a_shot_ending_on_the_next_ends_on_its_picked_candidate(tmp_path: Path) -> None:
    data, out, env = _run(tmp_path, ENDS_ON_NEXT)
    assert _last_frame(data, 1) == _panel(out, 2), "ends on the scorer's pick"
    shot2 = [sha for _, sha in _candidates(data, "Ada sits on the bench")]
    assert len(set(shot2)) == 3
    picked = storyreel(
        "story", "pick", "story.yaml", "--shot", "2", "--candidate", "2", "--out", "out",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert picked.returncode == 0, picked.stdout + picked.stderr
    assert _panel(out, 2) == shot2[1]
    # Not candidate 1: the clip into shot 2 follows the user's pick.
    assert _last_frame(data, 1) == shot2[1] != shot2[0]
