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

from storyreel.errors import InputError, MediaError, NotFound
from storyreel.media.audio import probe_audio
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


def _shown(value: object) -> str:
    """A user-typed name as it may appear in a one-line error: control characters (a
    newline in a YAML string) escaped, so the message stays one line."""
    text = str(value)
    return text if text.isprintable() else repr(text)


def _reference_path(folder: Path, ref: Path, *, owner: str) -> Path:
    """The reference image's real path, which must be a regular file inside the story's
    folder: a story file is input, and must not make storyreel read (and upload to a
    provider) ``/etc/passwd``, ``~/.ssh/id_rsa`` or whatever a symlink points at."""
    root = folder.resolve()
    where = f"{owner}: reference image {_shown(ref)}"
    try:
        resolved = (folder / ref).resolve(strict=True)
    except (OSError, RuntimeError):
        raise InputError(f"{where} does not exist") from None
    if not resolved.is_relative_to(root):
        raise InputError(f"{where} is outside the story's folder {root}; copy it there")
    if not resolved.is_file():
        raise InputError(f"{where} is not a file")
    return resolved


def load_story(path: Path, *, max_image_bytes: int, max_image_pixels: int) -> LoadedStory:
    """Read and fully validate the story file at ``path`` and its reference images."""
    if not path.is_file():
        raise NotFound(f"story file not found: {path}")
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
            owner = f"{path.name}: character {_shown(character.name)}"
            ref_path = _reference_path(path.parent, ref, owner=owner)
            with ref_path.open("rb") as handle:  # one byte over the cap is enough to refuse
                data = handle.read(max_image_bytes + 1)
            info = inspect_image(
                data,
                max_bytes=max_image_bytes,
                max_pixels=max_image_pixels,
                name=f"{owner}: reference {_shown(ref)}",
            )
            references.append(LoadedReference(character.name, ref_path, data, info))
    if story.sound.music is not None:
        story = story.model_copy(
            update={"sound": story.sound.model_copy(update={"music": _music(path, story)})}
        )
    return LoadedStory(source=path.resolve(), story=story, references=tuple(references))


def _music(story_file: Path, story: StoryDef) -> Path:
    """The music bed's file, absolute, after checking it really is audio."""
    assert story.sound.music is not None
    music = (story_file.parent / story.sound.music).resolve()
    if not music.is_file():
        raise InputError(f"{story_file.name}: music file {story.sound.music} not found")
    try:
        probe_audio(music)
    except MediaError as exc:
        raise InputError(f"{story_file.name}: music {story.sound.music}: {exc.message}") from None
    return music
