"""One ``FrameSpec`` -> one RGB storyboard panel: scenery, figures, caption, border.

Rendering is a pure function of the spec; there is no clock, no global random state and
no font lookup on the host, so a frame rendered today and in a year are the same pixels.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from storyreel.errors import InputError
from storyreel.providers.sketch.doll import draw_figures
from storyreel.providers.sketch.frame import FrameSpec
from storyreel.providers.sketch.layout import MAX_SIZE, MIN_SIZE, Stage, font, rounded, stage_for
from storyreel.providers.sketch.scenery import draw_scenery, parse_scene

_PAPER = (246, 244, 238)
_INK = (28, 28, 32)
_ELLIPSIS = "\u2026"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _check_size(spec: FrameSpec) -> None:
    for name, value in (("width", spec.width), ("height", spec.height)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(f"sketch frame {name} must be an integer, got {value!r}")
        if not MIN_SIZE <= value <= MAX_SIZE:
            raise InputError(
                f"sketch frame {name} must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {value}"
            )


def _fit(text: str, f: Font, width: float) -> str:
    """Longest prefix of ``text`` that fits with an ellipsis after it (binary search)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if f.getlength(text[:mid] + _ELLIPSIS) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip(" ,;:.") + _ELLIPSIS


def wrap_caption(text: str, f: Font, width: float, max_lines: int = 2) -> list[str]:
    """Greedy word wrap; what does not fit in ``max_lines`` ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and f.getlength(trial) <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines[max_lines - 1 :] = [_fit(" ".join(lines[max_lines - 1 :]), f, width)]
    return [line if f.getlength(line) <= width else _fit(line, f, width) for line in lines]


def _caption(d: ImageDraw.ImageDraw, st: Stage, text: str) -> None:
    d.rectangle((0, st.bottom, st.width, st.height), fill=_PAPER)
    d.line((0, st.bottom, st.width, st.bottom), fill=_INK, width=st.line_width)
    f = font(st.caption_font)
    pad = round(st.caption_font * 0.6)
    line_h = round(st.caption_font * 1.25)
    lines = wrap_caption(text, f, st.width - 2 * pad)
    top = st.bottom + (st.height - st.bottom - line_h * len(lines)) / 2
    for i, line in enumerate(lines):
        d.text((pad, top + i * line_h + line_h / 2), line, font=f, fill=_INK, anchor="lm")


def _shot_label(d: ImageDraw.ImageDraw, st: Stage, label: str) -> None:
    size = max(7, round(st.caption_font * 0.8))
    f = font(size)
    margin, pad = max(3, st.line_width * 3), round(size * 0.45)
    text = label if f.getlength(label) <= st.width / 2 else _fit(label, f, st.width / 2)
    box = (margin, margin, margin + round(f.getlength(text)) + 2 * pad, margin + round(size * 1.5))
    rounded(d, box, radius=max(2, size // 3), fill=(20, 20, 24, 200))
    d.text(
        ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
        text,
        font=f,
        fill=(250, 250, 250),
        anchor="mm",
    )


SHEET_GROUND = (226, 226, 222)


def render_frame(spec: FrameSpec) -> Image.Image:
    """Render one storyboard panel, exactly ``spec.width`` x ``spec.height`` RGB.

    The setting falls back to the caption so a bare action ("storm at the harbour")
    still gets a matching backdrop.
    """
    _check_size(spec)
    st = stage_for(spec.width, spec.height)
    if spec.camera.startswith("character "):  # a character sheet: a plain ground
        img = Image.new("RGB", (spec.width, spec.height), SHEET_GROUND)
    else:
        img = Image.new("RGB", (spec.width, spec.height))
        scene = parse_scene(spec.setting or spec.action, spec.style)
        draw_scenery(img, scene, st, spec.seed)
    d = ImageDraw.Draw(img, "RGBA")
    draw_figures(d, spec)
    if spec.camera.startswith("character "):  # nothing on a sheet but the figure
        return img
    if spec.action.strip():
        _caption(d, st, " ".join(spec.action.split()))
    d.rectangle((0, 0, st.width - 1, st.height - 1), outline=_INK, width=st.line_width)
    if spec.shot_label.strip():
        _shot_label(d, st, spec.shot_label.strip())
    return img
