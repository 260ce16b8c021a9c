"""Kill -9 a story run at each named crash point, again and again, then let it finish.

``STORYREEL_CHAOS_CRASH=<point>:<n>`` kills the CLI the n-th time it reaches the point;
raising n on each re-run makes every kill land one step further on (a run re-does what
the killed one had not recorded). After the last kill the same command runs clean, and:

* it exits 0 and every shot has a succeeded panel and clip job, exported and listed in the
  manifest (nothing lost);
* every asset row's file exists and hashes to its name, no temp file is left in the asset
  store or the out folder, and the video has the planned frame count (nothing half-written);
* the simulators billed exactly what a clean run bills at every provider that can look a
  request up (fal, Replicate, OpenAI's Sora), and at one that cannot (Kie, WaveSpeed)
  the excess is exactly the number of jobs flagged ``possibly_billed_twice``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.e2e.helpers import cli_env

from .harness import (
    assert_nothing_lost_or_half_written,
    billed,
    excess,
    flagged_extra_sends,
    flagged_twice,
    kill_then_finish,
    run_cli,
)

pytestmark = pytest.mark.slow

SHOTS, FPS, TRANSITION, DURATION = 4, 8, 2, 2.0


def story(image_model: str, video_model: str, *, mira: bool = True) -> str:
    """Four shots; with ``mira``, shots 1 and 3 show a character with a reference image
    (fal binds those to flux-2-pro's edit endpoint, the others to text-to-image)."""
    cast = "characters:\n  - {name: Mira, description: red hair, references: [mira.png]}\n"
    with_mira = ", characters: [Mira]" if mira else ""
    return (
        "title: Crash points\n"
        + (cast if mira else "")
        + "beats:\n  - setting: harbour at dusk\n    shots:\n"
        + f"      - {{action: Mira runs along the wall{with_mira}}}\n"
        + "      - {action: The keeper lights the lamp}\n"
        + f"      - {{action: Mira cranks the lens{with_mira}}}\n"
        + "      - {action: The storm rolls in over the sea}\n"
        + f"render: {{image_model: {image_model}, video_model: {video_model}, width: 320, "
        + f"height: 180, fps: {FPS}, duration: {DURATION}, transition_frames: {TRANSITION}}}\n"
    )


FAL_PANELS = Counter({"fal-ai/flux-2-pro": 2, "fal-ai/flux-2-pro/edit": 2})
STORIES = {
    # name: (story text, what a clean run bills, by provider and model)
    "fal+replicate": (
        story("flux-2-pro", "seedance-1-pro-fast"),
        {"fal": FAL_PANELS, "replicate": Counter({"bytedance/seedance-1-pro-fast": 4})},
    ),
    "fal+sora": (
        story("flux-2-pro", "openai:sora-2"),
        {"fal": FAL_PANELS, "openai": Counter({"sora-2": 4})},
    ),
    "wavespeed+kie": (
        story("wavespeed:bytedance/seedream-v4.5", "kie:bytedance/seedance-1.5-pro", mira=False),
        {
            "wavespeed": Counter({"bytedance/seedream-v4.5": 4}),
            "kie": Counter({"bytedance/seedance-1.5-pro": 4}),
        },
    ),
}
SIM = SimConfig(latency=0.1, video_latency=0.2)


def write_story(tmp_path: Path, name: str) -> None:
    (tmp_path / "story.yaml").write_text(STORIES[name][0])
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (256, 256), "red")))


def env_for(tmp_path: Path, suite_env: dict[str, str]) -> dict[str, str]:
    # One submit at a time at the providers without a lookup: a kill then leaves exactly
    # one request whose answer was lost, so the count of possible double bills is exact.
    return cli_env(
        tmp_path / "data",
        **suite_env,
        STORYREEL_PROVIDERS__FAL__CONCURRENCY="4",
        STORYREEL_PROVIDERS__KIE__CONCURRENCY="1",
        STORYREEL_PROVIDERS__WAVESPEED__CONCURRENCY="1",
    )


@pytest.mark.parametrize("name", sorted(STORIES))
async def test_a_clean_run_bills_one_submission_per_job(tmp_path: Path, name: str) -> None:
    """The baseline every crash scenario is compared with."""
    write_story(tmp_path, name)
    async with serve_simulators(SIM, files_dir=tmp_path / "sim") as suite:
        code, output = await run_cli(tmp_path, env_for(tmp_path, suite.env()))
        assert code == 0, output
        assert billed(suite) == STORIES[name][1]
    assert_nothing_lost_or_half_written(
        tmp_path,
        tmp_path / "data",
        shots=SHOTS,
        durations=[DURATION] * SHOTS,
        fps=FPS,
        transition=TRANSITION,
    )


SCENARIOS = [
    # (story, crash specs, one per killed run)
    ("fal+replicate", ["before_submit:1", "before_submit:2", "before_submit:3"]),
    (
        "fal+sora",
        [
            "after_submit_before_handle:1",
            "after_submit_before_handle:2",
            "after_submit_before_handle:3",
        ],
    ),
    ("fal+replicate", ["during_poll:1", "during_poll:3", "during_poll:5"]),
    ("fal+sora", ["during_download:1", "during_download:2", "during_download:3"]),
    ("fal+replicate", ["during_assembly:1", "during_assembly:1"]),
    ("fal+replicate", ["during_export:1", "during_export:2", "during_export:3"]),
]


@pytest.mark.parametrize(
    ("name", "crashes"), SCENARIOS, ids=[c[0].split(":")[0] for _, c in SCENARIOS]
)
async def test_killed_at_a_crash_point_finishes_without_loss_or_double_billing(
    tmp_path: Path, name: str, crashes: list[str]
) -> None:
    write_story(tmp_path, name)
    async with serve_simulators(SIM, files_dir=tmp_path / "sim") as suite:
        outcome = await kill_then_finish(tmp_path, env_for(tmp_path, suite.env()), crashes)
        bought = billed(suite)
    assert bought == STORIES[name][1]
    assert not flagged_twice(tmp_path / "data")
    assert_nothing_lost_or_half_written(
        tmp_path,
        tmp_path / "data",
        shots=SHOTS,
        durations=[DURATION] * SHOTS,
        fps=FPS,
        transition=TRANSITION,
    )
    print(f"{name} {crashes[0]}: {outcome.kills} kills, finished in {outcome.seconds:.1f} s")


async def test_without_a_lookup_every_extra_purchase_is_flagged(tmp_path: Path) -> None:
    """Kie and WaveSpeed cannot say whether they took a request whose answer was lost: the
    engine sends it again and flags the job. Each kill after the provider took a submit
    costs at least one extra purchase (more when another job's submit had also been
    answered and not yet recorded when the process died: a kill -9 loses every answer in
    flight), and every extra purchase is flagged (a job killed twice after its send is one
    flagged job bought twice over: its sends count). A flag can also mark a job killed
    between recording its intent and sending it (another provider's job was the one
    killed in flight): "possibly" billed twice, never an unflagged one."""
    write_story(tmp_path, "wavespeed+kie")
    crashes = [f"after_submit_before_handle:{n}" for n in (1, 2, 3, 4)]
    async with serve_simulators(SIM, files_dir=tmp_path / "sim") as suite:
        outcome = await kill_then_finish(tmp_path, env_for(tmp_path, suite.env()), crashes)
        bought = billed(suite)
    clean = STORIES["wavespeed+kie"][1]
    flagged = flagged_extra_sends(tmp_path / "data")
    over = excess(bought, clean)
    assert sum(over.values()) >= outcome.kills, (bought, outcome.kills)
    assert all(flagged[name] >= n for name, n in over.items()), (bought, flagged)
    manifest = assert_nothing_lost_or_half_written(
        tmp_path,
        tmp_path / "data",
        shots=SHOTS,
        durations=[DURATION] * SHOTS,
        fps=FPS,
        transition=TRANSITION,
    )
    # the manifest names every flagged job (one killed twice after its send is one job)
    assert len(manifest["possibly_billed_twice"]) >= sum(flagged_twice(tmp_path / "data").values())
    assert sum(flagged.values()) >= outcome.kills
