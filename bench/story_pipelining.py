"""Makespan of a story through the simulators against its critical path, in one run.

    python bench/story_pipelining.py [--shots 6] [--image-latency 1] [--video-latency 3]
        [--concurrency 4]

Panels and clips both run on fal (concurrency ``--concurrency``). The ideal is
``max(critical path, work / concurrency)``: one panel then one clip, or every job's
latency spread over the slots, whichever is longer (assembly not included in either).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from storyreel.config import Settings
from storyreel.story.runner import run_story
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig


def story(shots: int) -> str:
    lines = "\n".join(
        f"      - {{action: Mira walks past stall {i}, duration: 2}}" for i in range(shots)
    )
    return f"""
title: Pipelining bench
beats:
  - setting: night market
    shots:
{lines}
render:
  image_model: nano-banana-pro
  video_model: veo31-fast
  width: 320
  height: 180
  fps: 8
  transition_frames: 2
"""


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=6)
    parser.add_argument("--image-latency", type=float, default=1.0)
    parser.add_argument("--video-latency", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    config = SimConfig(latency=args.image_latency, video_latency=args.video_latency)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "story.yaml").write_text(story(args.shots))
        async with serve_simulators(config, providers=["fal"], files_dir=root / "sim") as suite:
            os.environ.update(suite.env())
            os.environ["STORYREEL_PROVIDERS__FAL__CONCURRENCY"] = str(args.concurrency)
            settings = Settings(data_dir=root / "data", poll_interval=0.25, poll_interval_max=0.5)
            started = time.perf_counter()
            await run_story(settings, root / "story.yaml", root / "out")
            makespan = time.perf_counter() - started
    critical = args.image_latency + args.video_latency
    work = args.shots * (args.image_latency + args.video_latency)
    ideal = max(critical, work / args.concurrency)
    print(
        f"{args.shots}-shot story, image {args.image_latency} s, video {args.video_latency} s,"
        f" fal concurrency {args.concurrency}"
    )
    print(f"  makespan (incl. engine start, assembly) : {makespan:6.2f} s")
    print(f"  ideal max(critical path, work/slots)    : {ideal:6.2f} s")
    print(f"  makespan / ideal                        : {makespan / ideal:6.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
