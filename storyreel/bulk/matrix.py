"""Pairing images with prompts: every combination (the default), or one to one.

All combinations are image-major: the first image with every prompt, then the second, so
3 images x 4 prompts are 12 items. One to one pairs the n-th image (by file name) with the
n-th prompt and needs as many of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storyreel.errors import InputError

from .inputs import BulkImage

MAX_ITEMS = 10_000
"""A bulk larger than this is refused: it is almost certainly a wrong folder or file."""


@dataclass(frozen=True)
class MatrixItem:
    """One video to make: an image and a prompt (numbered from 1, as in the file)."""

    position: int
    image: BulkImage
    prompt_number: int
    prompt: str


def build_matrix(
    images: Sequence[BulkImage], prompts: Sequence[str], *, one_to_one: bool = False
) -> list[MatrixItem]:
    if one_to_one:
        if len(images) != len(prompts):
            raise InputError(
                f"--one-to-one pairs each image with one prompt, but there are "
                f"{len(images)} image{'s' * (len(images) != 1)} and {len(prompts)} "
                f"prompt{'s' * (len(prompts) != 1)}; drop --one-to-one for every combination"
            )
        pairs = [
            (image, n, prompt)
            for n, (image, prompt) in enumerate(zip(images, prompts, strict=True), 1)
        ]
    else:
        total = len(images) * len(prompts)
        if total > MAX_ITEMS:
            raise InputError(
                f"{len(images)} images x {len(prompts)} prompts is {total:,} videos, "
                f"the limit for one bulk is {MAX_ITEMS:,}"
            )
        pairs = [(image, n, prompt) for image in images for n, prompt in enumerate(prompts, 1)]
    return [
        MatrixItem(position=i, image=image, prompt_number=n, prompt=prompt)
        for i, (image, n, prompt) in enumerate(pairs)
    ]
