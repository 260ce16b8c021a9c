"""Which diffusers models are on this disk, and where: ``local:<name>`` ids to folders.

Three places are looked in, in this order, for a name:

1. the name itself, when it is an absolute folder path (``local:/data/my-model``);
2. the models folder (``STORYREEL_LOCAL__MODELS_DIR``, default ``<data dir>/models``):
   each sub-folder holding a ``model_index.json`` is the model ``local:<folder name>``;
3. the Hugging Face hub cache: ``models--org--name/snapshots/<rev>`` is ``local:org/name``.

Only the filesystem is read here (no torch, no network), so the catalog and
``storyreel models`` can list local models on a machine without the ``local`` extra.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from storyreel.config import LocalSettings
from storyreel.vocabulary import Task

INDEX_FILE = "model_index.json"
VIDEO_PIPELINES = frozenset(
    {
        "StableVideoDiffusionPipeline",
        "WanImageToVideoPipeline",
        "I2VGenXLPipeline",
        "CogVideoXImageToVideoPipeline",
        "LTXImageToVideoPipeline",
    }
)
"""Pipelines that turn one image into a clip: their models do image-to-video only."""
IMAGE_TASKS = (Task.TEXT_TO_IMAGE, Task.IMAGE_TO_IMAGE, Task.INPAINT)

Source = Literal["path", "folder", "hub-cache"]


@dataclass(frozen=True)
class LocalModel:
    """One model found on disk."""

    name: str
    """What follows ``local:`` in its id."""
    path: Path
    """The folder holding ``model_index.json``."""
    pipeline: str
    """The diffusers pipeline class its index names (``StableDiffusionPipeline``)."""
    source: Source

    @property
    def is_video(self) -> bool:
        return self.pipeline in VIDEO_PIPELINES

    def tasks(self, *, references: bool) -> list[Task]:
        """What storyreel can do with it; reference images need an IP-Adapter."""
        if self.is_video:
            return [Task.IMAGE_TO_VIDEO]
        extra = [Task.REFERENCE_TO_IMAGE] if references else []
        return [*IMAGE_TASKS, *extra]


def pipeline_class(folder: Path) -> str | None:
    """The pipeline class named by ``folder``'s ``model_index.json``; None if it has none
    or it is not a diffusers index."""
    try:
        data = json.loads((folder / INDEX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("_class_name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name.isidentifier() else None


def hub_cache_dir(local: LocalSettings) -> Path:
    """The hub cache: the setting, else huggingface_hub's own choice (it honours HF_HOME
    and HF_HUB_CACHE), else its documented default."""
    if local.hub_cache is not None:
        return local.hub_cache.expanduser()
    try:
        from huggingface_hub import constants
    except ImportError:
        return Path.home() / ".cache" / "huggingface" / "hub"
    return Path(constants.HF_HUB_CACHE)


def _hub_snapshot(cache: Path, repo_id: str) -> Path | None:
    """The snapshot folder of ``repo_id`` that ``refs/main`` names, else the newest one."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshots = repo / "snapshots"
    try:
        ref = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        ref = ""
    if ref and (snapshots / ref / INDEX_FILE).is_file():
        return snapshots / ref
    try:
        found = [p for p in snapshots.iterdir() if (p / INDEX_FILE).is_file()]
    except OSError:
        return None
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _scan_folder(folder: Path | None) -> list[LocalModel]:
    if folder is None or not folder.is_dir():
        return []
    models = []
    for child in sorted(folder.iterdir()):
        kind = pipeline_class(child) if child.is_dir() else None
        if kind is not None:
            models.append(LocalModel(child.name, child, kind, "folder"))
    return models


def _scan_hub(cache: Path) -> list[LocalModel]:
    if not cache.is_dir():
        return []
    models = []
    for repo in sorted(cache.glob("models--*--*")):
        repo_id = repo.name.removeprefix("models--").replace("--", "/", 1)
        snapshot = _hub_snapshot(cache, repo_id)
        kind = pipeline_class(snapshot) if snapshot is not None else None
        if snapshot is not None and kind is not None:
            models.append(LocalModel(repo_id, snapshot, kind, "hub-cache"))
    return models


def find_local_models(local: LocalSettings) -> list[LocalModel]:
    """Every diffusers model in the models folder and the hub cache (a folder model
    shadows a cached one of the same name)."""
    seen: dict[str, LocalModel] = {}
    for model in [*_scan_folder(local.models_dir), *_scan_hub(hub_cache_dir(local))]:
        seen.setdefault(model.name, model)
    return list(seen.values())


def locate(name: str, local: LocalSettings) -> LocalModel | None:
    """The model ``local:<name>`` on this disk, or None (a hub id not downloaded yet)."""
    as_path = Path(name).expanduser()
    if as_path.is_absolute():
        kind = pipeline_class(as_path)
        return LocalModel(name, as_path, kind, "path") if kind else None
    if local.models_dir is not None and "/" not in name and name not in {".", ".."}:
        folder = local.models_dir / name
        kind = pipeline_class(folder)
        if kind is not None:
            return LocalModel(name, folder, kind, "folder")
    if name.count("/") == 1 and ".." not in name:
        snapshot = _hub_snapshot(hub_cache_dir(local), name)
        kind = pipeline_class(snapshot) if snapshot is not None else None
        if snapshot is not None and kind is not None:
            return LocalModel(name, snapshot, kind, "hub-cache")
    return None


def cache_key(local: LocalSettings) -> tuple[object, ...]:
    """Changes whenever a model folder appears or goes: the folders' modification times."""
    stamps = []
    for folder in (local.models_dir, hub_cache_dir(local)):
        try:
            stamps.append(folder.stat().st_mtime_ns if folder else None)
        except OSError:
            stamps.append(None)
    return (local.models_dir, hub_cache_dir(local), local.model, local.ip_adapter, *stamps)
