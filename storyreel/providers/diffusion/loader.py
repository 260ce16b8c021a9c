"""Loading a diffusers pipeline once per process and keeping it warm.

A worker process holds ONE model at a time (its weights are what fills the GPU): asking for
another model drops the first. Image-to-image and inpainting reuse the text-to-image
pipeline's components (``from_pipe``), so switching task costs no memory and no load.

Weights are safetensors only unless ``allow_pickle`` is set: pickle files (``.bin``,
``.ckpt``) run code when loaded, so a folder that has only those is refused with a message
before diffusers opens anything, and diffusers itself is told ``use_safetensors=True``.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from storyreel.config import LocalSettings
from storyreel.errors import ConfigError, InputError
from storyreel.localmodels import locate
from storyreel.vocabulary import Task

from .device import Placement, placement, require_torch

log = structlog.get_logger(__name__)

PICKLE_SUFFIXES = frozenset({".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle"})
_lock = threading.Lock()
_warm: Loaded | None = None


@dataclass
class Loaded:
    """The pipeline this process holds, and its task variants built from it."""

    name: str
    source: str
    settings: LocalSettings
    place: Placement
    pipe: Any
    variants: dict[Task, Any] = field(default_factory=dict)
    ip_adapter: bool = False
    """Whether an IP-Adapter is loaded into the UNet: then every call (every task, shared
    weights) must bring an image for it (see ``render``)."""

    def for_task(self, task: Task) -> Any:
        """The pipeline that does ``task``, sharing this one's weights."""
        if task in (Task.TEXT_TO_IMAGE, Task.REFERENCE_TO_IMAGE, Task.IMAGE_TO_VIDEO):
            return self.pipe
        if task not in self.variants:
            import diffusers

            auto = {
                Task.IMAGE_TO_IMAGE: diffusers.AutoPipelineForImage2Image,
                Task.INPAINT: diffusers.AutoPipelineForInpainting,
            }[task]
            try:
                variant = auto.from_pipe(self.pipe)
            except (ValueError, KeyError) as exc:
                raise InputError(f"local:{self.name} cannot do {task}: {exc}") from None
            variant.set_progress_bar_config(disable=True)
            self.variants[task] = variant
        return self.variants[task]


def pickle_files(folder: Path) -> list[Path]:
    """Pickle weight files under ``folder`` that have no safetensors file beside them."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in PICKLE_SUFFIXES and path.is_file():
            siblings = list(path.parent.glob("*.safetensors"))
            if not siblings:
                found.append(path)
    return found


def check_weights(folder: Path, local: LocalSettings) -> None:
    """Refuse a model whose weights would be unpickled, unless the user opted in."""
    if local.allow_pickle:
        return
    unsafe = pickle_files(folder)
    if unsafe:
        rel = unsafe[0].relative_to(folder)
        raise InputError(
            f"{folder} has pickle weights ({rel}) and no safetensors: loading them runs code "
            "from the file. Convert them to safetensors, or set "
            "STORYREEL_LOCAL__ALLOW_PICKLE=true if you trust the file"
        )


def resolve_source(name: str, local: LocalSettings) -> str:
    """The folder (or, when downloading is allowed, the hub id) to load ``local:<name>``
    from; an InputError naming what to do when it is not on this machine."""
    model = locate(name, local)
    if model is not None:
        check_weights(model.path, local)
        return str(model.path)
    if Path(name).expanduser().is_absolute():
        raise InputError(f"no diffusers model at {name} (a folder with model_index.json)")
    if name.count("/") != 1 or ".." in name:
        where = local.models_dir or "the models folder"
        raise InputError(f"no model {name!r} in {where} or the hub cache")
    if not local.allow_download:
        raise InputError(
            f"model {name} is not on this machine; set STORYREEL_LOCAL__ALLOW_DOWNLOAD=true "
            "to download it from the hub (needs network), or put it in the models folder"
        )
    return name


def _load(name: str, local: LocalSettings) -> Loaded:
    require_torch()
    import diffusers

    source = resolve_source(name, local)
    place = placement(local)
    log.info("loading local model", model=name, source=source, device=place.device)
    try:
        # Typed as Any: diffusers is untyped, and absent where the extra is not installed.
        pipeline_cls: Any = diffusers.DiffusionPipeline
        pipe = pipeline_cls.from_pretrained(
            source,
            dtype=place.dtype,
            use_safetensors=None if local.allow_pickle else True,
            local_files_only=not local.allow_download,
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load local:{name} from {source}: {exc}") from None
    _place(pipe, place, local)
    pipe.set_progress_bar_config(disable=True)
    loaded = Loaded(name=name, source=source, settings=local, place=place, pipe=pipe)
    if local.ip_adapter and hasattr(pipe, "load_ip_adapter"):
        _load_ip_adapter(pipe, local)
        loaded.ip_adapter = True
    return loaded


def _place(pipe: Any, place: Placement, local: LocalSettings) -> None:
    """Move to the device, with the memory switches for small GPUs."""
    if local.attention_slicing:
        pipe.enable_attention_slicing()
    if local.cpu_offload != "none" and place.device == "cuda":
        if local.cpu_offload == "sequential":
            pipe.enable_sequential_cpu_offload()
        else:
            pipe.enable_model_cpu_offload()
        return
    if local.cpu_offload != "none":
        # diffusers offloads only to an accelerator; on the CPU the weights are in RAM anyway.
        log.warning("cpu_offload ignored: CUDA only", device=place.device)
    pipe.to(place.device)


def _load_ip_adapter(pipe: Any, local: LocalSettings) -> None:
    """``repo_or_folder:subfolder:weight file`` from the settings, safetensors unless
    pickles are allowed."""
    assert local.ip_adapter is not None
    parts = local.ip_adapter.split(":")
    if len(parts) != 3:
        raise ConfigError(
            "STORYREEL_LOCAL__IP_ADAPTER must be 'repo_or_folder:subfolder:weight file', "
            f"got {local.ip_adapter!r}"
        )
    repo, subfolder, weight = parts
    if not weight.endswith(".safetensors") and not local.allow_pickle:
        raise ConfigError(f"IP-Adapter weights {weight} are not safetensors (allow_pickle)")
    folder = Path(repo).expanduser()
    if folder.is_dir():
        check_weights(folder / subfolder, local)  # its image encoder, too
    try:
        pipe.load_ip_adapter(
            str(folder) if folder.is_dir() else repo,
            subfolder=subfolder,
            weight_name=weight,
            local_files_only=not local.allow_download,
        )
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the IP-Adapter {local.ip_adapter}: {exc}") from None


def pipeline_for(name: str, local: LocalSettings, task: Task) -> Loaded:
    """The warm pipeline of ``local:<name>`` (loaded on first use, replacing whatever
    model this process held before), with its variant for ``task`` built."""
    global _warm
    with _lock:
        if _warm is None or _warm.name != name or _warm.settings != local:
            unload()
            _warm = _load(name, local)
        _warm.for_task(task)
        return _warm


def warm_model() -> str | None:
    """The model this process holds loaded, if any (``/health``'s ``model_loaded``)."""
    current = _warm
    return current.name if current is not None else None


def unload() -> None:
    """Drop the warm pipeline and give its memory back."""
    global _warm
    if _warm is None:
        return
    device = _warm.place.device
    _warm = None
    gc.collect()
    if device == "cuda":
        require_torch().cuda.empty_cache()
