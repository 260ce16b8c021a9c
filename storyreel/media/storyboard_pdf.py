"""The printable storyboard: a PDF a crew can read on paper, made with fpdf2.

Landscape A4, three shots to a page: the panel on the left; on the right the shot number,
its length, the action, camera and motion notes, the narration and the dialogue. The
title heads every page and pages are numbered. The same board always gives the same
bytes (fixed creation date and file id), so an unchanged re-run leaves the export alone.

The PDF core font (Helvetica) covers Latin-1; other characters are replaced by their base
letter or "?" rather than failing the export.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF
from PIL import Image

from storyreel.errors import InputError

SHOTS_PER_PAGE = 3
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_STAND_INS = {"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"'}
_STAND_INS |= {"\u201d": '"', "\u2026": "...", "\u2022": "*", "\u2192": "->"}


@dataclass(frozen=True)
class BoardShot:
    """What one row of the board shows."""

    number: int
    image: bytes
    action: str
    camera: str = ""
    motion: str = ""
    duration: float | None = None
    narration: str = ""
    dialogue: str = ""
    note: str = ""


def latin1(text: str) -> str:
    """``text`` in what the core font can print."""
    out = []
    for char in text:
        char = _STAND_INS.get(char, char)
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            char = base or "?"
        out.append(char)
    return "".join(out)


class _Board(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.board_title = latin1(title)

    def header(self) -> None:
        self.set_font("Helvetica", "B", 14)
        self.cell(0, 8, self.board_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, f"page {self.page_no()}/{{nb}}", align="R")


def _jpeg(data: bytes) -> tuple[io.BytesIO, float]:
    """The panel as a baseline JPEG (smaller PDFs than PNG for painted frames) and its
    height / width ratio."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            buffer = io.BytesIO()
            opened.convert("RGB").save(buffer, format="JPEG", quality=85)
            ratio = opened.height / opened.width
    except (OSError, ValueError) as exc:
        raise InputError(f"a storyboard panel is not a readable image: {exc}") from exc
    buffer.seek(0)
    return buffer, ratio


def render_storyboard_pdf(title: str, shots: Sequence[BoardShot]) -> bytes:
    """The board as PDF bytes: ``ceil(len(shots) / 3)`` pages."""
    if not shots:
        raise InputError("a storyboard needs at least one shot")
    pdf = _Board(title)
    pdf.set_creation_date(_EPOCH)
    pdf.file_id = lambda: ""  # type: ignore[method-assign]  # no random id: same bytes
    pdf.set_producer("storyreel")
    pdf.set_title(latin1(title))
    pdf.set_auto_page_break(False)
    row_height = (pdf.h - 32) / SHOTS_PER_PAGE
    image_width = 110.0
    for index, shot in enumerate(shots):
        if index % SHOTS_PER_PAGE == 0:
            pdf.add_page()
        top = 22 + (index % SHOTS_PER_PAGE) * row_height
        jpeg, ratio = _jpeg(shot.image)
        height = min(row_height - 6, image_width * ratio)
        width = height / ratio
        pdf.image(jpeg, x=pdf.l_margin, y=top, w=width, h=height)
        pdf.rect(pdf.l_margin, top, width, height)
        _notes(pdf, shot, x=pdf.l_margin + image_width + 6, y=top, height=row_height - 6)
    return bytes(pdf.output())


def _notes(pdf: FPDF, shot: BoardShot, *, x: float, y: float, height: float) -> None:
    width = pdf.w - pdf.r_margin - x
    pdf.set_xy(x, y)
    pdf.set_font("Helvetica", "B", 12)
    length = f"  ({shot.duration:g} s)" if shot.duration else ""
    pdf.cell(width, 6, f"Shot {shot.number}{length}", new_x="LEFT", new_y="NEXT")
    rows = [
        ("Action", shot.action),
        ("Camera", shot.camera),
        ("Motion", shot.motion),
        ("Narration", shot.narration),
        ("Dialogue", shot.dialogue),
        ("Note", shot.note),
    ]
    for label, text in rows:
        if not text or pdf.get_y() > y + height - 5:
            continue
        pdf.set_x(x)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(20, 4.6, f"{label}:")
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width - 20, 4.6, latin1(text), new_x="LEFT", new_y="NEXT")
