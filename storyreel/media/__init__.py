"""Pixels and frames: image checks, Ken Burns clips, assembly, contact sheets.

Everything here runs locally with Pillow, PyAV and the ffmpeg binary bundled in the
``imageio_ffmpeg`` wheel, so rendering needs no system packages and no network. Frame
counts follow :mod:`storyreel.media.timeline` exactly and are verified by reading the
written files back.

The names below are loaded on first use: importing one submodule (the engine imports
``media.encode``) must not load PyAV and every renderer, which every command's start
would pay for.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    # name: the submodule that defines it
    "assemble_video": "assemble",
    "SheetPanel": "contact_sheet",
    "render_contact_sheet": "contact_sheet",
    "ffmpeg_exe": "ffmpeg",
    "run_ffmpeg": "ffmpeg",
    "ALLOWED_FORMATS": "images",
    "ImageInfo": "images",
    "decode_image": "images",
    "image_to_png": "images",
    "inspect_image": "images",
    "make_thumbnail": "images",
    "MotionKind": "motion",
    "motion_from_prompt": "motion",
    "render_motion_clip": "motion",
    "VideoInfo": "probe",
    "probe_video": "probe",
    "Timeline": "timeline",
    "frames_for": "timeline",
    "plan_timeline": "timeline",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
