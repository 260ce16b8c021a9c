"""Reading a story file: parse, validate, check reference images, with one-line errors.

Everything that can be wrong with the input is found here, before a single row is written
or a single generation is bought.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from storyreel.errors import InputError
from storyreel.media.images import ImageInfo, inspect_image

from .schema import StoryDef

MAX_STORY_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class LoadedReference:
    character: str
    path: Path
    data: bytes
    info: ImageInfo


@dataclass(frozen=True)
class LoadedStory:
    source: Path
    story: StoryDef
    references: tuple[LoadedReference, ...]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"


def parse_story(text: str, *, name: str = "story") -> StoryDef:
    """Parse YAML (a superset of JSON) into a validated story."""
    try:
        raw = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise InputError(
            f"{name}: not valid {'JSON' if name.endswith('.json') else 'YAML'}: {first_line}"
        ) from exc
    if not isinstance(raw, dict):
        raise InputError(f"{name}: expected a mapping with title, characters and story")
    try:
        return StoryDef.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{name}: {_describe(exc)}") from exc


def load_story(path: Path, *, max_image_bytes: int, max_image_pixels: int) -> LoadedStory:
    """Read and fully validate the story file at ``path`` and its reference images."""
    if not path.is_file():
        raise InputError(f"story file not found: {path}")
    if path.stat().st_size > MAX_STORY_FILE_BYTES:
        raise InputError(f"{path.name}: story file is larger than {MAX_STORY_FILE_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not UTF-8 text") from exc
    story = parse_story(text, name=path.name)
    references = []
    for character in story.characters:
        for ref in character.references:
            ref_path = ref if ref.is_absolute() else path.parent / ref
            if not ref_path.is_file():
                raise InputError(
                    f"{path.name}: character {character.name}: reference image {ref} does not exist"
                )
            data = ref_path.read_bytes()
            info = inspect_image(
                data,
                max_bytes=max_image_bytes,
                max_pixels=max_image_pixels,
                name=f"{path.name}: character {character.name}: reference {ref}",
            )
            references.append(LoadedReference(character.name, ref_path, data, info))
    return LoadedStory(source=path.resolve(), story=story, references=tuple(references))
