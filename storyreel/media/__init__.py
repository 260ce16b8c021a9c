"""Pixels and frames: image checks, Ken Burns clips, assembly, contact sheets.

Everything here runs locally with Pillow, PyAV and the ffmpeg binary bundled in the
``imageio_ffmpeg`` wheel, so rendering needs no system packages and no network. Frame
counts follow :mod:`storyreel.media.timeline` exactly and are verified by reading the
written files back.
"""

from __future__ import annotations

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
