"""An unchanged story run again vs its first run: the demo and a 24-shot offline story,
each through the real CLI in a fresh data dir, twice.

The second run must find every job, the video, the contact sheet and the export folder
already made (``story/reuse.py``), so it should cost little more than starting the
process. Both wall time (what a user waits, interpreter start included) and the CLI's own
"Done in" figure are reported.

    python bench/rerun.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result

CHARACTERS = """characters:
  - {name: Mira, description: a young woman with long red hair and a green raincoat}
  - {name: Tomas, description: an old lighthouse keeper with a white beard}
"""


def long_story(shots: int = 24) -> str:
    """An offline story of ``shots`` shots in four beats, both characters in most."""
    lines = ["title: Twenty-four shots", "seed: 7", CHARACTERS.rstrip(), "beats:"]
    for beat in range(4):
        lines += [f"  - setting: harbour, part {beat + 1}", "    shots:"]
        for shot in range(shots // 4):
            who = ["Mira", "Tomas"] if shot % 3 else ["Mira"]
            lines.append(
                f"      - {{action: shot {beat * (shots // 4) + shot + 1} of the storm, "
                f"characters: [{', '.join(who)}], duration: 1.5}}"
            )
    lines += ["render:", "  width: 512", "  height: 288", "  fps: 24", "  transition_frames: 6"]
    return "\n".join(lines) + "\n"


def _cli(args: list[str], data: Path, cwd: Path) -> tuple[float, float]:
    """Run the CLI; return (wall seconds, the "Done in" seconds it printed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYREEL_")}
    env |= {"STORYREEL_DATA_DIR": str(data), "COLUMNS": "120"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "storyreel", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    found = re.search(r"Done in ([0-9.]+) s", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"storyreel {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return wall, float(found.group(1))


def _pair(label: str, args: list[str], root: Path) -> list[Result]:
    root.mkdir(parents=True)
    first_wall, first_run = _cli(args, root / "data", root)
    again_wall, again_run = _cli(args, root / "data", root)
    return [
        Result(
            f"no-op re-run, {label}, wall",
            again_wall,
            "s",
            first_wall,
            "first run, wall",
            note="process start included",
        ),
        Result(
            f"no-op re-run, {label}, in-process",
            again_run,
            "s",
            first_run,
            "first run, in-process",
            note='the CLI\'s "Done in"',
        ),
    ]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = _pair("demo story", ["demo", "--out", "out"], root / "demo")
        story = root / "long" / "story.yaml"
        story.parent.mkdir()
        story.write_text(long_story())
        args = ["story", "run", str(story), "--out", "out"]
        results += _pair("24-shot story", args, root / "long" / "run")
    return results


if __name__ == "__main__":
    for result in run():
        print(result)
