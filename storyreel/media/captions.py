"""Caption overlays: one transparent PNG per caption, the size of the video frame.

Drawn with Pillow's bundled font (as the contact sheet is), so burning captions needs no
system font and gives the same pixels everywhere: white text on a translucent dark band in
the lower part of the frame, sized to the frame's shorter side so a 9:16 short and a 16:9
video both read well.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from storyreel.media.contact_sheet import bundled_font, drawable, wrap_text

_BAND = (0, 0, 0, 150)
_TEXT = (255, 255, 255, 255)


def caption_image(text: str, width: int, height: int) -> bytes:
    """A ``width`` x ``height`` RGBA PNG with ``text`` in a band near the bottom."""
    size = max(12, round(min(width, height) / 18))
    font = bundled_font(size)
    margin = round(width * 0.06)
    lines: list[str] = []
    for part in text.splitlines() or [""]:
        lines += wrap_text(drawable(part, font), font, width - 2 * margin, max_lines=3)
    lines = lines[:3]
    line_height = round(size * 1.3)
    pad = round(size * 0.4)
    band_height = len(lines) * line_height + 2 * pad
    bottom = height - round(height * 0.08)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    widest = max((font.getlength(line) for line in lines), default=0)
    left = round((width - widest) / 2) - pad
    draw.rectangle(
        (max(0, left), bottom - band_height, min(width, width - left), bottom), fill=_BAND
    )
    for index, line in enumerate(lines):
        x = round((width - font.getlength(line)) / 2)
        y = bottom - band_height + pad + index * line_height
        draw.text((x, y), line, font=font, fill=_TEXT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
