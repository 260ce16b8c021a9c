"""Stories kept for the API: each one a folder ``<data dir>/stories/<id>/`` holding the
story file (``story.json``), its characters' uploaded reference images (``refs/``), the
last run's state (``run.json``) and its exports (``out/``).

A story sent over HTTP becomes a story file on disk so that it runs through exactly the
loader and runner the CLI uses (``story.loader.load_story``, ``story.runner.run_story``):
references resolve inside the story's folder, and a re-run finds its project and reuses
its finished jobs. Ids are 32 hex digits, checked before any path is built, so no id can
name a folder outside the data dir.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storyreel.config import Settings
from storyreel.errors import InputError, NotFound
from storyreel.store.exports import copy_atomic, write_text_atomic
from storyreel.story.loader import LoadedStory, load_story, parse_story
from storyreel.story.planner import plan_story

_ID = re.compile(r"[0-9a-f]{32}")
STORY_FILE = "story.json"
MAX_STORY_BYTES = 512 * 1024


@dataclass(frozen=True)
class StoryFolder:
    """One stored story's paths."""

    id: str
    path: Path

    @property
    def story_file(self) -> Path:
        return self.path / STORY_FILE

    @property
    def run_file(self) -> Path:
        return self.path / "run.json"

    @property
    def out_dir(self) -> Path:
        return self.path / "out"


def stories_root(settings: Settings) -> Path:
    return settings.data_dir / "stories"


def is_story_id(value: str) -> bool:
    """Whether ``value`` has the shape of a stored story's id (projects have ULIDs)."""
    return _ID.fullmatch(value) is not None


def story_folder(settings: Settings, story_id: str) -> StoryFolder:
    """The stored story ``story_id``; NotFound for an unknown or malformed id."""
    if not is_story_id(story_id):
        raise NotFound(f"no story {story_id[:64]!r} (ids are 32 hex digits)")
    folder = StoryFolder(story_id, stories_root(settings) / story_id)
    if not folder.story_file.is_file():
        raise NotFound(f"no story {story_id!r}")
    return folder


def load(settings: Settings, folder: StoryFolder) -> LoadedStory:
    """The story as the CLI would load it (references and limits checked)."""
    return load_story(
        folder.story_file,
        max_image_bytes=settings.max_upload_bytes,
        max_image_pixels=settings.max_image_pixels,
    )


def create_story(settings: Settings, raw: object, *, name: str) -> str:
    """Validate ``raw`` (a parsed story file) and store it; return its new id. Reference
    images are uploaded afterwards, one per character, so a story given here names none."""
    if not isinstance(raw, dict):
        raise InputError(f"{name}: expected a mapping with title, characters and story")
    try:  # YAML may hold dates and odd keys: stored (and re-checked) as plain JSON
        text = json.dumps(raw, indent=2, default=str)
    except (TypeError, ValueError, RecursionError):
        raise InputError(f"{name}: not a story file (keys must be plain words)") from None
    parse_story(text, name=name)
    raw = json.loads(text)
    assert isinstance(raw, dict)
    for character in raw.get("characters") or []:
        if isinstance(character, dict) and character.get("references"):
            raise InputError(
                f"{name}: character {character.get('name')!r}: reference files cannot be "
                "sent with the story; upload each image to the character's reference"
            )
    story_id = uuid.uuid4().hex
    root = stories_root(settings)
    staging = root / f".new-{story_id}"
    staging.mkdir(parents=True)
    try:
        write_text_atomic(staging / STORY_FILE, text)
        load(settings, StoryFolder(story_id, staging))  # the CLI's whole check (music too)
        staging.rename(root / story_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return story_id


def parse_story_file(data: bytes, name: str) -> Any:
    """A story file as sent (an upload, the UI's YAML editor): YAML (so JSON too), capped,
    parsed; one clear error line when it is not."""
    if len(data) > MAX_STORY_BYTES:
        raise InputError(f"{name}: story file larger than {MAX_STORY_BYTES} bytes")
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name} is not a UTF-8 YAML file: {first}") from None


def stored_ids(settings: Settings) -> list[str]:
    """Every stored story's id, the most recently changed first."""
    root = stories_root(settings)
    if not root.is_dir():
        return []
    found = [
        (p.stat().st_mtime, p.name)
        for p in root.iterdir()
        if is_story_id(p.name) and (p / STORY_FILE).is_file()
    ]
    return [name for _, name in sorted(found, reverse=True)]


def read_run(folder: StoryFolder) -> dict[str, Any] | None:
    """The last run's state (``state``, ``project_id``, ``error``), or None before any."""
    try:
        data: dict[str, Any] = json.loads(folder.run_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data


def write_run(folder: StoryFolder, **fields: Any) -> None:
    write_text_atomic(folder.run_file, json.dumps((read_run(folder) or {}) | fields))


def describe(settings: Settings, folder: StoryFolder) -> dict[str, Any]:
    """The stored story: title, characters (with their reference file, if any), last run."""
    story = load(settings, folder).story
    return {
        "id": folder.id,
        "title": story.title,
        "characters": [
            {
                "name": c.name,
                "reference": str(c.references[0]) if c.references else None,
            }
            for c in story.characters
        ],
        "run": read_run(folder),
    }


def set_reference(
    settings: Settings, folder: StoryFolder, character: str, data: bytes, mime: str
) -> str:
    """Make ``data`` (an image already checked against the upload limits) ``character``'s
    reference image; return its file, relative to the story. The story file is rewritten
    only after the image is in place, and put back if the loader refuses the result."""
    raw = json.loads(folder.story_file.read_text(encoding="utf-8"))
    names = [c.get("name") for c in raw.get("characters") or []]
    if character not in names:
        raise NotFound(f"story {folder.id} has no character {character[:64]!r}")
    position = names.index(character)
    relative = f"refs/{position:02d}.{mime.split('/')[-1]}"
    upload = folder.path / "refs" / ".upload"
    upload.parent.mkdir(exist_ok=True)
    upload.write_bytes(data)
    copy_atomic(upload, folder.path / relative)  # a run never reads half an image
    upload.unlink()
    before = folder.story_file.read_text(encoding="utf-8")
    raw["characters"][position]["references"] = [relative]
    write_text_atomic(folder.story_file, json.dumps(raw, indent=2))
    try:
        load(settings, folder)
    except BaseException:
        write_text_atomic(folder.story_file, before)
        raise
    return relative


def check_shot(settings: Settings, folder: StoryFolder, number: int) -> None:
    """Refuse a shot the story's (rule-based) plan does not have, before a redo starts."""
    count = len(plan_story(load(settings, folder).story))
    if not 1 <= number <= count:
        raise InputError(f"shot {number}: the story has shots 1-{count}")


def output_file(folder: StoryFolder, relative: str) -> Path:
    """A file of the story's exports, refused unless it is a regular file inside ``out/``
    (no ``..``, no absolute path, no symlink leading out)."""
    root = folder.out_dir.resolve()
    try:
        path = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the path
        raise NotFound(f"story {folder.id} has no output {relative[:120]!r}") from None
    if not path.is_relative_to(root) or not path.is_file() or path.name.startswith(".tmp-"):
        raise NotFound(f"story {folder.id} has no output {relative[:120]!r}")
    return path


def outputs(folder: StoryFolder) -> dict[str, Any]:
    """The finished run's exports: the manifest's video and contact sheet, and every
    exported file, each by its path inside ``out/`` (the route makes the URLs)."""
    manifest_file = folder.out_dir / "manifest.json"
    if not manifest_file.is_file():
        raise NotFound(f"story {folder.id} has no outputs yet: run it first")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    root = folder.out_dir.resolve()
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".tmp-")
    )
    return {
        "project_id": manifest.get("project_id"),
        "video": {k: manifest["video"][k] for k in ("file", "sha256", "duration")},
        "contact_sheet": manifest["contact_sheet"],
        "cost_usd": manifest.get("cost_usd"),
        "files": files,
    }
