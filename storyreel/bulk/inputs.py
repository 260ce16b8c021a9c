"""Reading a bulk's two inputs: the prompts file and the images folder.

Both are checked completely before anything is stored or bought; a bad input is one
``InputError`` naming the file (and, for a prompts file, what is wrong with it).

Prompts file format (seed 004): prompts separated by lines holding only ``---``, or by
blank lines. The lines of one prompt are joined with single spaces.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from storyreel.errors import InputError
from storyreel.media.images import inspect_image

MAX_PROMPTS_BYTES = 1024 * 1024
"""A prompts file larger than this is refused before it is read (a huge file is a mistake)."""
MAX_PROMPT_CHARS = 4_000
MAX_IMAGES = 1_000
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
SEPARATOR = "---"


@dataclass(frozen=True)
class BulkImage:
    """One image of the folder: its file name, content hash and type (bytes stay on disk)."""

    name: str
    path: Path
    sha256: str
    mime: str


def parse_prompts(text: str, *, source: str = "prompts") -> list[str]:
    """The prompts of a prompts file's text, in order (see the module docstring)."""
    prompts: list[str] = []
    block: list[str] = []
    for line in [*text.splitlines(), SEPARATOR]:
        stripped = line.strip()
        if stripped and stripped != SEPARATOR:
            block.append(" ".join(stripped.split()))
            continue
        if block:
            prompts.append(" ".join(block))
            block = []
    if not prompts:
        raise InputError(
            f"{source} holds no prompts: write prompts separated by '---' lines or blank lines"
        )
    for number, prompt in enumerate(prompts, 1):
        if len(prompt) > MAX_PROMPT_CHARS:
            raise InputError(
                f"{source}: prompt {number} is {len(prompt):,} characters long, "
                f"the limit is {MAX_PROMPT_CHARS:,}"
            )
    return prompts


def read_prompts(path: Path) -> list[str]:
    """Read and parse a prompts file: UTF-8 text (a BOM is fine), at most 1 MiB."""
    if not path.is_file():
        raise InputError(f"prompts file {path} does not exist (or is not a file)")
    size = path.stat().st_size
    if size > MAX_PROMPTS_BYTES:
        raise InputError(
            f"prompts file {path} is {size / 1024 / 1024:.1f} MB, the limit is "
            f"{MAX_PROMPTS_BYTES // 1024 // 1024} MB"
        )
    data = path.read_bytes()
    if b"\0" in data:
        raise InputError(f"prompts file {path} is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"prompts file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start}); save it as UTF-8"
        ) from None
    return parse_prompts(text, source=f"prompts file {path}")


def read_images(folder: Path, *, max_bytes: int, max_pixels: int) -> list[BulkImage]:
    """Every image of ``folder`` (not its subfolders), sorted by file name. A file with an
    image suffix (.png, .jpg, .jpeg, .webp) that is not a readable image within the size
    and pixel limits is an error naming it; other files (notes, .DS_Store) are skipped."""
    if not folder.is_dir():
        raise InputError(f"images folder {folder} does not exist (or is not a folder)")
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
    if not paths:
        raise InputError(
            f"images folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    if len(paths) > MAX_IMAGES:
        raise InputError(
            f"images folder {folder} holds {len(paths):,} images, the limit is {MAX_IMAGES:,}"
        )
    images = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path} is not a file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from None
        info = inspect_image(data, max_bytes=max_bytes, max_pixels=max_pixels, name=str(path))
        images.append(
            BulkImage(
                name=path.name,
                path=path,
                sha256=hashlib.sha256(data).hexdigest(),
                mime=info.mime,
            )
        )
    return images


def read_image_bytes(image: BulkImage) -> bytes:
    """The image's bytes again, at the moment it is stored; a file changed since it was
    checked is refused, so what is stored is what was priced and hashed."""
    try:
        data = image.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{image.path} cannot be read: {exc.strerror or exc}") from None
    if hashlib.sha256(data).hexdigest() != image.sha256:
        raise InputError(f"{image.path} changed while the bulk was being prepared; run it again")
    return data
