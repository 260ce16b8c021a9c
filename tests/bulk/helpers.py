"""Small bulk inputs on disk: a folder of images and a prompts file."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def make_images(
    folder: Path, count: int, size: tuple[int, int] = (64, 64), *, start: int = 0
) -> list[Path]:
    """``count`` distinct PNGs (``start`` shifts their colours: other bytes, other images)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(count):
        n = start + k
        path = folder / f"img{k:02d}.png"
        Image.new("RGB", size, (n * 37 % 256, n * 91 % 256, n // 7 % 256)).save(path)
        paths.append(path)
    return paths


def make_prompts(path: Path, prompts: list[str]) -> Path:
    path.write_text("\n---\n".join(prompts) + "\n", encoding="utf-8")
    return path
