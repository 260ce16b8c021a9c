"""Seed 000's pay-per-use pair, the models ``cost compare`` prices a plan against.

Its own module, apart from ``services.subscription`` (which loads stories, and with them
the engine and the media stack), so ``storyreel cost compare --help`` can show them as
its defaults without importing any of that.
"""

from __future__ import annotations

DEFAULT_IMAGE_MODEL = "kie:seedream/4.5-edit"
DEFAULT_VIDEO_MODEL = "kie:bytedance/seedance-1.5-pro"
"""Seedream 4.5 ($0.03/image) and Seedance 1.5 Pro ($0.20)."""
