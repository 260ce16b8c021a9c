"""What storyreel's local provider costs over a plain diffusers call: the same model, steps,
size, seeds and device, in one run; the figure is seconds per image through the provider
(submit -> poll -> result, PNG in the scratch dir) beside a bare ``pipe(...)`` call that
also saves its PNG, and images/s for both.

    python bench/local_overhead.py [--model PATH_OR_HUB_ID] [--steps 10] [--images 8]
                                   [--size 64] [--threads N]

Without ``--model`` it builds the tiny random-weight model the tests use (CPU, seconds);
on a GPU host pass a real model (``--model segmind/tiny-sd``, downloads when it is not in
the hub cache). Rounds alternate (plain, provider, plain, provider) and the best round of
each counts, so a busy machine's drift does not land on one side only.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result

ROUNDS = 2


def _plain(pipe: Any, args: argparse.Namespace, seed0: int) -> float:
    import torch

    started = time.perf_counter()
    for i in range(args.images):
        generator = torch.Generator(device="cpu").manual_seed(seed0 + i)
        image = pipe(
            f"a red cat {i}",
            num_inference_steps=args.steps,
            width=args.size,
            height=args.size,
            generator=generator,
        ).images[0]
        image.save(io.BytesIO(), format="PNG")
    return time.perf_counter() - started


async def _provider(provider: Any, args: argparse.Namespace, seed0: int, tag: str) -> float:
    from storyreel.providers.types import JobState
    from storyreel.vocabulary import GenerationRequest, Task

    started = time.perf_counter()
    for i in range(args.images):
        req = GenerationRequest(
            task=Task.TEXT_TO_IMAGE,
            model=f"local:{args.name}",
            prompt=f"a red cat {i}",
            steps=args.steps,
            width=args.size,
            height=args.size,
            seed=seed0 + i,
        )
        handle = await provider.submit(req, job_id=f"{tag}-{i}", webhook_url=None)
        # A poll loop is what the engine does with a provider (no event to wait on).
        while not (status := await provider.poll(handle)).state.terminal:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        assert status.state is JobState.SUCCEEDED, status.message
        await provider.result(handle)
    return time.perf_counter() - started


def _setup(args: argparse.Namespace, work: Path) -> tuple[Any, Any]:
    import diffusers

    from storyreel.config import LocalSettings, ProviderSettings
    from storyreel.providers.base import ProviderContext
    from storyreel.providers.diffusion.device import placement
    from storyreel.providers.diffusion.provider import DiffusersProvider
    from storyreel.store.assets import AssetStore
    from storyreel.testing.tiny_diffusers import build_tiny_sd

    models = work / "models"
    if args.model is None:
        build_tiny_sd(models / "tiny")
        args.name = "tiny"
    else:
        args.name = args.model
    local = LocalSettings(models_dir=models, allow_download=args.model is not None)
    place = placement(local)
    source = str(models / "tiny") if args.model is None else args.model
    lib: Any = diffusers
    plain = lib.DiffusionPipeline.from_pretrained(
        source, dtype=place.dtype, use_safetensors=True
    ).to(place.device)
    plain.set_progress_bar_config(disable=True)
    ctx = ProviderContext(
        settings=ProviderSettings(),
        assets=AssetStore(work / "assets"),
        scratch_dir=work / "scratch",
        local=local,
    )
    return plain, DiffusersProvider(ctx)


async def _measure(args: argparse.Namespace) -> list[Result]:
    import torch

    from storyreel.providers.diffusion.device import placement

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        plain, provider = _setup(args, Path(tmp))
        # Warm both: the provider loads its pipeline on its first job.
        _plain(plain, argparse.Namespace(**{**vars(args), "images": 1}), 0)
        await _provider(provider, argparse.Namespace(**{**vars(args), "images": 1}), 0, "warm")
        plain_s, ours_s = [], []
        for r in range(ROUNDS):
            plain_s.append(_plain(plain, args, 100 * r))
            ours_s.append(await _provider(provider, args, 100 * r, f"r{r}"))
        device = placement(provider.ctx.local).device
    n = args.images
    best_plain, best_ours = min(plain_s) / n, min(ours_s) / n
    setting = f"{args.name}, {args.steps} steps, {args.size}x{args.size}, {device}"
    return [
        Result(
            "local provider, s per image",
            best_ours,
            "s",
            reference=best_plain,
            reference_name="plain diffusers call",
            note=f"{setting}; best of {ROUNDS} rounds of {n} images",
        ),
        Result(
            "local provider, images/s",
            1 / best_ours,
            "img/s",
            reference=1 / best_plain,
            reference_name="plain diffusers call",
        ),
    ]


def run(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a model folder or hub id (default: the tiny model)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's)")
    args = parser.parse_args(argv or [])
    from storyreel.providers.diffusion.device import extra_installed

    if not extra_installed():
        return [Result("local provider", 0, "", note="skipped: the local extra is not installed")]
    return asyncio.run(_measure(args))


if __name__ == "__main__":
    for result in run(sys.argv[1:]):
        ratio = f"  ratio {result.ratio:.3f}" if result.ratio is not None else ""
        print(f"{result.name}: {result.value:.4g} {result.unit}", end="")
        print(f"  (plain diffusers: {result.reference:.4g}){ratio}  {result.note}")
