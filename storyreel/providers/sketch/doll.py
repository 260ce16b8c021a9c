"""Drawing a paper-doll figure: the parts of one character, back to front (cloak, long
hair, legs or robe, arms, torso, head, face, hair, hat) and its name label.

Every size is a share of the figure's height (``figures``' proportions) so a figure looks
the same at every framing; the look (``figures.Look``) says which parts a character has
and their colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import ImageDraw

from storyreel.providers.sketch.figures import (
    ARM_W,
    LEG_W,
    NECK,
    SHOULDER,
    TORSO,
    WAIST,
    FigureLayout,
    HatKind,
    Look,
    character_look,
    figure_layout,
    hair_visible,
)
from storyreel.providers.sketch.frame import FrameSpec
from storyreel.providers.sketch.layout import RGB, Stage, font, mix, rounded, scale, stage_for

Box = tuple[float, float, float, float]


def _outline(c: RGB) -> RGB:
    return mix(c, (20, 18, 16), 0.6)


@dataclass(frozen=True)
class Body:
    """The figure's landmarks in pixels: centre line, head, shoulders, waist, feet, and the
    widths of shoulders, waist, arms and legs for this look's build."""

    cx: float
    fh: float  # figure height, head to feet
    top: float  # top of the head
    hr: float  # head radius
    cy: float  # head centre
    sh: float  # shoulder line
    waist: float
    feet: float
    sw: float  # half the shoulder width
    ww: float  # half the waist width
    aw: float  # arm width
    legw: float  # leg width

    @classmethod
    def of(cls, fig: FigureLayout, look: Look) -> Body:
        fh, top, hr = fig.figure_height, fig.top, fig.head_radius
        sh = top + 2 * hr + NECK * fh
        return cls(
            cx=fig.center_x,
            fh=fh,
            top=top,
            hr=hr,
            cy=top + hr,
            sh=sh,
            waist=sh + TORSO * fh,
            feet=top + fh,
            sw=SHOULDER * fh * look.build,
            ww=WAIST * fh * look.build,
            aw=ARM_W * fh,
            legw=LEG_W * fh * look.build**0.5,
        )


@dataclass(frozen=True)
class Pen:
    """Filled, outlined shapes at the stage's line width."""

    d: ImageDraw.ImageDraw
    lw: int

    def shape(self, kind: str, box: Box, fill: RGB, **kw: Any) -> None:
        x0, y0, x1, y1 = box  # tiny figures can invert a box built from pixel offsets
        box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if kind == "rounded_rectangle":
            rounded(self.d, box, kw["radius"], fill=fill, outline=_outline(fill), width=self.lw)
        else:
            getattr(self.d, kind)(box, fill=fill, outline=_outline(fill), width=self.lw, **kw)

    def polygon(self, points: list[tuple[float, float]], fill: RGB) -> None:
        self.d.polygon(points, fill=fill, outline=_outline(fill), width=self.lw)


def _cloak(pen: Pen, b: Body, cloak: RGB) -> None:
    cx, fh, sh, sw, aw = b.cx, b.fh, b.sh, b.sw, b.aw
    pen.polygon(
        [
            (cx - sw * 0.5, sh - 0.01 * fh),
            (cx + sw * 0.5, sh - 0.01 * fh),
            (cx + sw + aw * 1.1, sh + 0.02 * fh),
            (cx + sw + aw + 0.05 * fh, b.top + 0.92 * fh),
            (cx - sw - aw - 0.05 * fh, b.top + 0.92 * fh),
            (cx - sw - aw * 1.1, sh + 0.02 * fh),
        ],
        cloak,
    )


def _long_hair(pen: Pen, b: Body, look: Look) -> None:
    box = (b.cx - 1.1 * b.hr, b.cy, b.cx + 1.1 * b.hr, b.sh + 0.14 * b.fh)
    pen.shape("rounded_rectangle", box, look.hair, radius=round(b.hr * 0.5))


def _robe(pen: Pen, b: Body, look: Look) -> None:
    cx, fh, legw = b.cx, b.fh, b.legw
    hem = b.feet - 0.035 * fh
    for side in (-1, 1):
        x = cx + side * legw * 0.7
        pen.shape(
            "rectangle", (x - legw * 0.5, hem - 0.01 * fh, x + legw * 0.5, b.feet), look.shoes
        )
    pen.polygon(
        [
            (cx - b.ww, b.waist - 2),
            (cx + b.ww, b.waist - 2),
            (cx + b.ww + 0.07 * fh, hem),
            (cx - b.ww - 0.07 * fh, hem),
        ],
        look.top,
    )


def _legs(pen: Pen, b: Body, look: Look) -> None:
    fh, legw, feet = b.fh, b.legw, b.feet
    for side in (-1, 1):
        x0 = b.cx + side * 0.012 * fh - (legw if side < 0 else 0)
        pen.shape("rectangle", (x0, b.waist - 2, x0 + legw, feet - 0.03 * fh), look.legs)
        sx = x0 - 0.008 * fh if side < 0 else x0
        pen.shape(
            "rounded_rectangle",
            (sx, feet - 0.04 * fh, sx + legw + 0.008 * fh, feet),
            look.shoes,
            radius=max(1, round(0.01 * fh)),
        )


def _arms(pen: Pen, b: Body, look: Look) -> None:
    fh, aw = b.fh, b.aw
    for side in (-1, 1):
        x_out = b.cx + side * (b.sw + aw * 0.85)
        x_in = b.cx + side * (b.sw - aw * 0.15)
        box = (min(x_in, x_out), b.sh + 0.005 * fh, max(x_in, x_out), b.waist + 0.05 * fh)
        pen.shape("rounded_rectangle", box, look.top, radius=round(aw / 2))
        hx, hy, r = (x_in + x_out) / 2, b.waist + 0.05 * fh, aw * 0.55
        pen.shape("ellipse", (hx - r, hy - r, hx + r, hy + r), look.skin)


def _torso(pen: Pen, b: Body, look: Look) -> None:
    """Torso, then what sits on it: pauldrons, belt, the cloak's clasp, the neck."""
    cx, fh, sh, sw, ww, waist = b.cx, b.fh, b.sh, b.sw, b.ww, b.waist
    pen.polygon(
        [
            (cx - sw, sh + 0.03 * fh),
            (cx - sw + 0.03 * fh, sh),
            (cx + sw - 0.03 * fh, sh),
            (cx + sw, sh + 0.03 * fh),
            (cx + ww, waist),
            (cx - ww, waist),
        ],
        look.top,
    )
    belt = round(0.018 * fh)
    if look.armor:
        for side in (-1, 1):
            px, aw = cx + side * sw * 0.9, b.aw
            pen.shape(
                "pieslice",
                (px - aw, sh - aw * 0.6, px + aw, sh + aw * 1.4),
                scale(look.top, 0.85),
                start=180,
                end=360,
            )
    if look.armor or look.robe:
        pen.d.rectangle((cx - ww, waist - belt, cx + ww, waist), fill=scale(look.top, 0.55))
    if look.cloak is not None:
        r = max(2, round(0.015 * fh))
        pen.d.ellipse(
            (cx - r, sh - r, cx + r, sh + r), fill=(212, 175, 55), outline=_outline(look.top)
        )
    nw = 0.035 * fh
    pen.shape("rectangle", (cx - nw, b.cy + b.hr * 0.6, cx + nw, sh + 2), look.skin)


def _head(pen: Pen, b: Body, look: Look) -> None:
    """Hood or back hair, the head, beard, eyes and mouth, then the fringe."""
    cx, cy, hr, top = b.cx, b.cy, b.hr, b.top
    if look.hat_kind is HatKind.hood and look.hat is not None:
        pen.shape(
            "ellipse", (cx - 1.3 * hr, cy - 1.25 * hr, cx + 1.3 * hr, cy + 1.2 * hr), look.hat
        )
    elif hair_visible(look):
        pen.d.ellipse(
            (cx - 1.12 * hr, top - 0.1 * hr, cx + 1.12 * hr, cy + 0.5 * hr),
            fill=look.hair,
            outline=_outline(look.hair),
            width=pen.lw,
        )
    pen.shape("ellipse", (cx - hr, top, cx + hr, top + 2 * hr), look.skin)
    if look.beard is not None:
        pen.shape(
            "chord",
            (cx - 0.9 * hr, cy - 0.3 * hr, cx + 0.9 * hr, cy + 1.3 * hr),
            look.beard,
            start=0,
            end=180,
        )
    eye, ink = max(1, round(hr * 0.11)), (30, 26, 24)
    for side in (-1, 1):
        ex, ey = cx + side * 0.36 * hr, cy + 0.08 * hr
        pen.d.ellipse((ex - eye, ey - eye, ex + eye, ey + eye), fill=ink)
    my = cy + 0.5 * hr
    mouth = (90, 40, 36) if look.beard is None else _outline(look.beard)
    pen.d.line((cx - 0.22 * hr, my, cx + 0.22 * hr, my), fill=mouth, width=max(1, round(hr * 0.06)))
    if hair_visible(look):
        pen.shape("chord", (cx - hr, top, cx + hr, top + 2 * hr), look.hair, start=195, end=345)


def draw_figure(d: ImageDraw.ImageDraw, st: Stage, fig: FigureLayout, look: Look) -> None:
    """Back to front: cloak, long hair, legs, arms, torso, head, face, hair, hat."""
    b, pen = Body.of(fig, look), Pen(d, st.line_width)
    if look.cloak is not None:
        _cloak(pen, b, look.cloak)
    if look.long_hair and not look.bald and look.hat_kind is not HatKind.hood:
        _long_hair(pen, b, look)
    (_robe if look.robe else _legs)(pen, b, look)
    _arms(pen, b, look)
    _torso(pen, b, look)
    _head(pen, b, look)
    if look.hat is not None:
        _hat(d, look, fig.center_x, fig.top, fig.head_radius, st.line_width)


def _hat(d: ImageDraw.ImageDraw, look: Look, cx: int, top: int, hr: int, lw: int) -> None:
    assert look.hat is not None
    fill, line = look.hat, _outline(look.hat)
    if look.hat_kind is HatKind.hat:
        d.rectangle(
            (cx - 1.45 * hr, top + 0.2 * hr, cx + 1.45 * hr, top + 0.42 * hr),
            fill=fill,
            outline=line,
            width=lw,
        )
        rounded(
            d,
            (cx - 0.9 * hr, top - 0.55 * hr, cx + 0.9 * hr, top + 0.3 * hr),
            radius=round(hr * 0.25),
            fill=fill,
            outline=line,
            width=lw,
        )
    elif look.hat_kind is HatKind.helmet:
        d.chord(
            (cx - 1.12 * hr, top - 0.12 * hr, cx + 1.12 * hr, top + 1.6 * hr),
            180,
            360,
            fill=fill,
            outline=line,
            width=lw,
        )
        d.rectangle((cx - 0.1 * hr, top + 0.6 * hr, cx + 0.1 * hr, top + 1.2 * hr), fill=fill)
    elif look.hat_kind is HatKind.hood:
        d.chord(
            (cx - 1.3 * hr, top - 0.3 * hr, cx + 1.3 * hr, top + 1.4 * hr),
            180,
            360,
            fill=fill,
            outline=line,
            width=lw,
        )
    elif look.hat_kind is HatKind.crown:
        y0, y1 = top - 0.45 * hr, top + 0.15 * hr
        pts = [
            (cx - 0.7 * hr, y1),
            (cx - 0.7 * hr, y0),
            (cx - 0.35 * hr, y0 + 0.3 * hr),
            (cx, y0 - 0.05 * hr),
            (cx + 0.35 * hr, y0 + 0.3 * hr),
            (cx + 0.7 * hr, y0),
            (cx + 0.7 * hr, y1),
        ]
        d.polygon(pts, fill=fill, outline=line, width=lw)


def draw_label(d: ImageDraw.ImageDraw, st: Stage, fig: FigureLayout, look: Look) -> None:
    x0, y0, x1, y1 = fig.label_box
    rounded(
        d,
        fig.label_box,
        radius=max(2, (y1 - y0) // 3),
        fill=(255, 255, 255, 225),
        outline=_outline(look.top),
        width=st.line_width,
    )
    d.text(
        ((x0 + x1) / 2, (y0 + y1) / 2),
        fig.name,
        font=font(st.label_font),
        fill=(28, 28, 32),
        anchor="mm",
    )


def draw_figures(d: ImageDraw.ImageDraw, spec: FrameSpec) -> list[FigureLayout]:
    """Draw every visible character and its name label; returns where they went."""
    st = stage_for(spec.width, spec.height)
    layouts = figure_layout(spec)
    looks = [character_look(spec.characters[f.index]) for f in layouts]
    for fig, look in zip(layouts, looks, strict=True):
        draw_figure(d, st, fig, look)
    for fig, look in zip(layouts, looks, strict=True):
        draw_label(d, st, fig, look)
    return layouts
