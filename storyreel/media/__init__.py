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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storyreel.media.assemble import assemble_video
    from storyreel.media.contact_sheet import SheetPanel, render_contact_sheet
    from storyreel.media.ffmpeg import ffmpeg_exe, run_ffmpeg
    from storyreel.media.images import (
        ALLOWED_FORMATS,
        ImageInfo,
        decode_image,
        image_to_png,
        inspect_image,
        make_thumbnail,
    )
    from storyreel.media.motion import MotionKind, motion_from_prompt, render_motion_clip
    from storyreel.media.probe import VideoInfo, probe_video
    from storyreel.media.timeline import Timeline, frames_for, plan_timeline

_HOMES = {
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

__all__ = [
    "ALLOWED_FORMATS",
    "ImageInfo",
    "MotionKind",
    "SheetPanel",
    "Timeline",
    "VideoInfo",
    "assemble_video",
    "decode_image",
    "ffmpeg_exe",
    "frames_for",
    "image_to_png",
    "inspect_image",
    "make_thumbnail",
    "motion_from_prompt",
    "plan_timeline",
    "probe_video",
    "render_contact_sheet",
    "render_motion_clip",
    "run_ffmpeg",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
