"""Flat silhouettes for each kind of place, drawn between the sky and the figures.

Shapes are few and large on purpose: a storyboard panel is read at thumbnail size, where
a row of triangles says "forest" and a row of lit boxes says "city at night".
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from PIL import ImageDraw

from storyreel.providers.sketch.layout import RGB, Stage, mix, rounded, scale

if TYPE_CHECKING:
    from storyreel.providers.sketch.scenery import Palette

Draw = ImageDraw.ImageDraw
_WINDOW_LIT: RGB = (255, 212, 120)


def _far(pal: Palette, c: RGB, t: float = 0.35) -> RGB:
    """Distant things fade toward the sky colour (aerial perspective)."""
    return mix(pal.lit(c), pal.sky(1.0), t)


def _lamp(d: Draw, pal: Palette, st: Stage, x: int, base: int, height: int) -> None:
    w = max(1, st.line_width)
    d.line((x, base, x, base - height), fill=pal.lit((50, 50, 56)), width=w + 1)
    r = max(2, height // 12)
    head = (x - r, base - height - r, x + r, base - height + r)
    if pal.dark:
        g = r * 5
        d.ellipse((x - g, base - height - g, x + g, base - height + g), fill=(*_WINDOW_LIT, 45))
        d.ellipse(head, fill=pal.glow(_WINDOW_LIT))
    else:
        d.ellipse(head, fill=pal.lit((230, 226, 200)))


def _window_fill(pal: Palette, rng: random.Random) -> RGB:
    if pal.dark and rng.random() < 0.65:
        return pal.glow(_WINDOW_LIT)
    return pal.lit((60, 70, 88)) if pal.dark else pal.lit((176, 196, 216))


def _field(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    hill = _far(pal, (96, 150, 78), 0.3)
    for i in range(3):
        cx, rx = round(w * (i * 0.45 + rng.uniform(-0.1, 0.1))), round(w * rng.uniform(0.3, 0.45))
        ry = round(u * rng.uniform(0.05, 0.11))
        d.chord((cx - rx, hz - ry, cx + rx, hz + ry), 180, 360, fill=hill)
    tree, trunk = _far(pal, (62, 110, 62), 0.3), _far(pal, (90, 66, 46), 0.3)
    for _ in range(4):
        x, r = round(w * rng.uniform(0.05, 0.95)), round(u * rng.uniform(0.025, 0.04))
        d.line((x, hz, x, hz - 2 * r), fill=trunk, width=max(1, r // 3))
        d.ellipse((x - r, hz - 3 * r, x + r, hz - r), fill=tree)


def _forest(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    far = _far(pal, (48, 96, 64), 0.4)
    x = -rng.uniform(0, 0.03) * u
    while x < w:
        h = u * rng.uniform(0.14, 0.26)
        d.polygon(
            [(x - h * 0.22, hz + u * 0.02), (x, hz - h), (x + h * 0.22, hz + u * 0.02)], fill=far
        )
        x += u * rng.uniform(0.04, 0.07)
    mid, trunk = pal.lit((44, 90, 52)), pal.lit((84, 60, 42))
    for i in range(5):
        x, r = w * (i + rng.uniform(0.2, 0.8)) / 5, u * rng.uniform(0.06, 0.09)
        d.rectangle((x - r * 0.15, hz - r, x + r * 0.15, hz + u * 0.04), fill=trunk)
        d.ellipse((x - r, hz - 2.6 * r, x + r, hz - 0.6 * r), fill=mid)
    near, dark_trunk = pal.lit((32, 64, 40)), pal.lit((70, 50, 36))
    for x in (w * rng.uniform(0.0, 0.05), w * rng.uniform(0.95, 1.0)):
        t = u * 0.05
        d.rectangle((x - t, 0, x + t, st.ground), fill=dark_trunk)
        for cy, r in ((0.05, 0.16), (0.2, 0.13)):
            d.ellipse((x - r * u * 1.3, (cy - r) * u, x + r * u * 1.3, (cy + r) * u), fill=near)


def _city(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    x = 0.0
    skyline = _far(pal, (92, 98, 118), 0.5)
    while x < w:
        bw, bh = u * rng.uniform(0.08, 0.16), u * rng.uniform(0.25, 0.48)
        d.rectangle((x, hz - bh, x + bw, hz), fill=skyline)
        x += bw
    x = -u * rng.uniform(0, 0.05)
    walls = ((120, 110, 105), (105, 112, 125), (135, 120, 100), (95, 100, 110))
    win_w, win_h = max(2, round(u * 0.02)), max(2, round(u * 0.03))
    while x < w:
        bw, bh = u * rng.uniform(0.14, 0.26), u * rng.uniform(0.16, 0.36)
        d.rectangle((x, hz - bh, x + bw - 2, hz), fill=pal.lit(rng.choice(walls)))
        cols, rows = max(2, int(bw / (u * 0.045))), max(1, int(bh / (u * 0.065)))
        for r in range(rows):
            for c in range(cols):
                wx = x + (c + 0.5) * bw / cols - win_w / 2
                wy = hz - bh + u * 0.03 + r * u * 0.065
                d.rectangle((wx, wy, wx + win_w, wy + win_h), fill=_window_fill(pal, rng))
        x += bw
    kerb = round(u * 0.05)
    d.rectangle((0, hz, w, hz + kerb), fill=pal.lit((150, 146, 138)))
    d.line((0, hz + kerb, w, hz + kerb), fill=pal.lit((70, 70, 74)), width=st.line_width)
    for fx in (0.06, 0.94):
        _lamp(d, pal, st, round(w * fx), hz + kerb // 2, round(u * 0.3))


def _sea(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    shore = round(hz + 0.55 * (st.ground - hz))
    water, deep = _far(pal, (60, 120, 165), 0.3), pal.lit((36, 90, 136))
    d.rectangle((0, hz, w, shore), fill=water)
    d.rectangle((0, (hz + shore) // 2, w, shore), fill=mix(water, deep, 0.5))
    crest = pal.lit((150, 196, 222))
    for _ in range(w // 28):
        x, y = rng.randrange(w), rng.randrange(hz + 2, shore)
        r = max(2, round(u * 0.012 * (1 + 2 * (y - hz) / max(1, shore - hz))))
        d.arc((x - r * 2, y - r, x + r * 2, y + r), 200, 340, fill=crest, width=st.line_width)
    if pal.celestial:
        lx = round(w * pal.light_pos[0])
        for i in range(6):
            y, half = hz + (i + 1) * (shore - hz) // 8, round(u * (0.02 + 0.012 * i))
            d.line((lx - half, y, lx + half, y), fill=(*pal.glow(pal.light), 140), width=2)
    bx, by = round(w * rng.uniform(0.12, 0.3)), hz + (shore - hz) // 3
    hull = round(u * 0.07)
    d.polygon(
        [
            (bx - hull, by),
            (bx + hull, by),
            (bx + hull * 0.7, by + hull * 0.35),
            (bx - hull * 0.7, by + hull * 0.35),
        ],
        fill=pal.lit((78, 54, 40)),
    )
    d.line((bx, by, bx, by - hull * 1.6), fill=pal.lit((70, 50, 40)), width=st.line_width)
    d.polygon(
        [(bx + 2, by - hull * 1.5), (bx + 2, by - 4), (bx + hull, by - 4)],
        fill=pal.lit((236, 230, 214)),
    )
    variant = pal.scene.variant
    if variant in ("harbour", "harbor", "port", "dock", "docks", "pier", "wharf", "quay"):
        _dock(d, pal, st, rng, shore)
    else:
        d.rectangle((0, shore, w, st.height), fill=pal.lit((214, 192, 142)))
        d.line(
            [(x, shore + round(2 * rng.random())) for x in range(0, w + 20, 20)],
            fill=pal.lit((240, 244, 246)),
            width=max(2, st.line_width),
        )


def _dock(d: Draw, pal: Palette, st: Stage, rng: random.Random, shore: int) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    tx, tw = round(w * 0.88), round(u * 0.03)
    d.rectangle((tx - tw, hz - u * 0.2, tx + tw, hz), fill=pal.lit((226, 222, 212)))
    d.rectangle((tx - tw, hz - u * 0.13, tx + tw, hz - u * 0.09), fill=pal.lit((178, 52, 46)))
    if pal.dark:
        y = round(hz - u * 0.22)
        d.polygon(
            [(tx, y), (tx - u * 0.5, y - u * 0.06), (tx - u * 0.5, y + u * 0.06)],
            fill=(*_WINDOW_LIT, 50),
        )
    d.ellipse((tx - tw, hz - u * 0.24, tx + tw, hz - u * 0.19), fill=pal.glow(_WINDOW_LIT))
    plank = pal.lit((118, 86, 60))
    d.rectangle((0, shore, w, st.height), fill=plank)
    step = max(3, round(u * 0.035))
    for y in range(shore + step, st.height, step):
        d.line((0, y, w, y), fill=scale(plank, 0.78), width=max(1, st.line_width // 2))
    d.rectangle((0, shore - 2, w, shore + max(2, round(u * 0.012))), fill=scale(plank, 0.6))
    post = pal.lit((82, 60, 44))
    for i in range(5):
        x, pw = round(w * (i + 0.5) / 5 + rng.uniform(-0.03, 0.03) * w), round(u * 0.014)
        d.rectangle((x - pw, shore - u * 0.05, x + pw, shore + 2), fill=post)
    _lamp(d, pal, st, round(w * 0.05), shore + round(u * 0.03), round(u * 0.34))


def _mountain(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    rock, snow = _far(pal, (100, 108, 138), 0.35), _far(pal, (242, 244, 250), 0.2)
    points: list[tuple[float, float]] = [(0, hz)]
    x = -u * 0.1
    while x < w + u * 0.3:
        points.append((x, hz - u * rng.uniform(0.05, 0.12)))
        x += u * rng.uniform(0.18, 0.3)
        points.append((x, hz - u * rng.uniform(0.22, 0.4)))
        x += u * rng.uniform(0.18, 0.3)
    points.append((w, hz))
    d.polygon(points, fill=rock)
    for i in range(2, len(points) - 2, 2):
        (lx, ly), (px, py), (rx, ry) = points[i - 1], points[i], points[i + 1]
        t = 0.3
        d.polygon(
            [
                (px, py),
                (px + (rx - px) * t, py + (ry - py) * t),
                (px + (rx - px) * t * 0.3, py + (ry - py) * t * 0.75),
                (px + (lx - px) * t, py + (ly - py) * t),
            ],
            fill=snow,
        )
    ridge = pal.lit((84, 94, 80))
    near: list[tuple[float, float]] = [(0, hz + u * 0.03)]
    for i in range(7):
        near.append((w * (i + rng.uniform(0.3, 0.7)) / 6, hz - u * rng.uniform(0.03, 0.12)))
    near.append((w, hz + u * 0.03))
    d.polygon(near, fill=ridge)


def _desert(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    for i, (colour, t) in enumerate((((222, 180, 120), 0.3), ((212, 168, 106), 0.1))):
        fill = _far(pal, colour, t)
        for j in range(3):
            cx, rx = w * (j * 0.45 + rng.uniform(-0.1, 0.1)), w * rng.uniform(0.3, 0.45)
            ry, y = u * rng.uniform(0.05, 0.1), hz + i * u * 0.05
            d.chord((cx - rx, y - ry, cx + rx, y + ry), 180, 360, fill=fill)
    green = pal.lit((84, 122, 72))
    for fx in (rng.uniform(0.05, 0.15), rng.uniform(0.85, 0.95)):
        x, h, t = w * fx, u * rng.uniform(0.14, 0.2), u * 0.018
        base = hz + u * 0.12
        rounded(d, (x - t, base - h, x + t, base), radius=t, fill=green)
        rounded(d, (x - 3 * t, base - h * 0.75, x - t, base - h * 0.6), radius=t // 2, fill=green)
        rounded(
            d, (x - 3 * t, base - h * 0.95, x - 1.4 * t, base - h * 0.6), radius=t // 2, fill=green
        )


_AWNINGS: tuple[RGB, ...] = ((200, 60, 50), (50, 110, 170), (230, 170, 40), (70, 140, 80))


def _village(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    x = -u * rng.uniform(0, 0.05)
    roofs = ((160, 72, 52), (120, 80, 60), (96, 96, 108))
    while x < w:
        hw, hh = u * rng.uniform(0.14, 0.2), u * rng.uniform(0.1, 0.15)
        d.rectangle((x, hz - hh, x + hw, hz), fill=_far(pal, (222, 206, 172), 0.2))
        roof = _far(pal, rng.choice(roofs), 0.2)
        d.polygon(
            [(x - hw * 0.08, hz - hh), (x + hw / 2, hz - hh - hw * 0.45), (x + hw * 1.08, hz - hh)],
            fill=roof,
        )
        ww = hw * 0.18
        d.rectangle(
            (x + hw * 0.2, hz - hh * 0.7, x + hw * 0.2 + ww, hz - hh * 0.35),
            fill=_window_fill(pal, rng),
        )
        d.rectangle((x + hw * 0.6, hz - hh * 0.55, x + hw * 0.78, hz), fill=pal.lit((92, 64, 44)))
        x += hw * rng.uniform(1.15, 1.4)
    if pal.scene.variant in ("market", "marketplace", "bazaar", "stalls"):
        _stalls(d, pal, st, rng)


def _stalls(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    n = max(2, round(w / (u * 0.45)))
    wood, goods = pal.lit((140, 100, 64)), ((200, 60, 40), (240, 180, 40), (110, 160, 60))
    for i in range(n):
        sw, cx = w / n * 0.8, w * (i + 0.5) / n + rng.uniform(-0.03, 0.03) * w
        top, counter = hz, hz + u * 0.14
        x0, x1 = cx - sw / 2, cx + sw / 2
        for x in (x0 + 2, x1 - 2):
            d.line((x, top, x, counter + u * 0.09), fill=wood, width=max(2, st.line_width))
        d.rectangle((x0, counter, x1, counter + u * 0.09), fill=wood)
        for k in range(6):
            gx = x0 + sw * (k + 0.5) / 6
            r = u * 0.014
            d.ellipse((gx - r, counter - 2 * r, gx + r, counter), fill=pal.lit(goods[k % 3]))
        colour, stripes = pal.lit(rng.choice(_AWNINGS)), 6
        for k in range(stripes):
            fill = colour if k % 2 == 0 else pal.lit((240, 234, 220))
            ax0, ax1 = (
                x0 - sw * 0.06 + k * sw * 1.12 / stripes,
                x0 - sw * 0.06 + (k + 1) * sw * 1.12 / stripes,
            )
            d.polygon(
                [
                    (x0 + k * sw / stripes, top - u * 0.05),
                    (x0 + (k + 1) * sw / stripes, top - u * 0.05),
                    (ax1, top + u * 0.04),
                    (ax0, top + u * 0.04),
                ],
                fill=fill,
            )


def _merlons(d: Draw, x0: float, x1: float, top: float, size: float, fill: RGB) -> None:
    x = x0
    while x < x1:
        d.rectangle((x, top - size, min(x1, x + size * 0.7), top), fill=fill)
        x += size * 1.4


def _castle(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, hz, w = st.bottom, st.horizon, st.width
    stone, dark = pal.lit((150, 144, 132)), pal.lit((48, 40, 36))
    top, m = hz - u * 0.2, u * 0.035
    d.rectangle((0, top, w, hz + u * 0.03), fill=stone)
    _merlons(d, 0, w, top, m, stone)
    for k in range(1, 5):
        y = top + k * u * 0.045
        d.line((0, y, w, y), fill=scale(stone, 0.85), width=max(1, st.line_width // 2))
    for fx in (0.12, 0.88):
        cx, tw = w * fx, u * 0.08
        tt = hz - u * 0.36
        d.rectangle((cx - tw, tt, cx + tw, hz + u * 0.03), fill=scale(stone, 0.92))
        d.polygon(
            [(cx - tw * 1.15, tt), (cx, tt - u * 0.14), (cx + tw * 1.15, tt)],
            fill=pal.lit((112, 58, 58)),
        )
        d.line((cx, tt - u * 0.14, cx, tt - u * 0.2), fill=dark, width=st.line_width)
        d.polygon(
            [(cx, tt - u * 0.2), (cx + u * 0.05, tt - u * 0.18), (cx, tt - u * 0.16)],
            fill=pal.lit((60, 90, 170)),
        )
        fill = pal.glow(_WINDOW_LIT) if pal.dark else dark
        d.rectangle((cx - u * 0.01, tt + u * 0.06, cx + u * 0.01, tt + u * 0.11), fill=fill)
    gx, gw = w * 0.5, u * 0.1
    d.rectangle((gx - gw, hz - u * 0.1, gx + gw, hz + u * 0.03), fill=dark)
    d.pieslice((gx - gw, hz - u * 0.2, gx + gw, hz), 180, 360, fill=dark)
    bars = pal.lit((96, 84, 72))
    for k in range(-2, 3):
        d.line(
            (gx + k * gw / 3, hz - u * 0.17, gx + k * gw / 3, hz + u * 0.03),
            fill=bars,
            width=st.line_width,
        )


def _window(st: Stage) -> tuple[int, int, int, int]:
    u = st.bottom
    x0, y0 = round(st.width * 0.1), round(u * 0.12)
    return x0, y0, x0 + round(min(st.width * 0.26, u * 0.4)), y0 + round(u * 0.32)


def window_light(st: Stage) -> tuple[int, int]:
    """Indoors the sun or moon is seen through the window, so it is placed inside it."""
    x0, y0, x1, y1 = _window(st)
    return round(x0 + (x1 - x0) * 0.68), round(y0 + (y1 - y0) * 0.35)


_WALLS: dict[str, tuple[RGB, RGB]] = {
    "tavern": ((150, 110, 75), (110, 78, 50)),
    "inn": ((150, 110, 75), (110, 78, 50)),
    "kitchen": ((214, 200, 170), (150, 120, 90)),
    "hall": ((140, 136, 130), (108, 104, 98)),
    "throne room": ((140, 136, 130), (108, 104, 98)),
    "cellar": ((120, 112, 104), (92, 86, 80)),
    "library": ((120, 90, 70), (100, 72, 52)),
    "study": ((120, 90, 70), (100, 72, 52)),
}


def _interior(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    u, w, h = st.bottom, st.width, st.height
    variant = pal.scene.variant
    wall_c, floor_c = _WALLS.get(variant, ((205, 190, 165), (128, 90, 58)))
    wall, floor = pal.lit(wall_c, indoor=True), pal.lit(floor_c, indoor=True)
    floor_y = round(u * 0.7)
    x0, y0, x1, y1 = _window(st)
    d.rectangle((0, 0, w, y0), fill=wall)
    d.rectangle((0, y0, x0, floor_y), fill=wall)
    d.rectangle((x1, y0, w, floor_y), fill=wall)
    d.rectangle((x0, y1, x1, floor_y), fill=wall)
    frame = pal.lit((90, 64, 44), indoor=True)
    lw = max(2, st.line_width * 2)
    d.rectangle((x0, y0, x1, y1), outline=frame, width=lw)
    d.line(((x0 + x1) // 2, y0, (x0 + x1) // 2, y1), fill=frame, width=lw)
    d.line((x0, (y0 + y1) // 2, x1, (y0 + y1) // 2), fill=frame, width=lw)
    d.rectangle((0, floor_y - u * 0.12, w, floor_y), fill=scale(wall, 0.85))
    d.rectangle((0, floor_y, w, h), fill=floor)
    y, gap = floor_y, u * 0.03
    while y < h:
        d.line((0, y, w, y), fill=scale(floor, 0.8), width=max(1, st.line_width // 2))
        gap *= 1.35
        y += round(gap)
    dx0, dw = round(w * 0.74), round(u * 0.2)
    d.rectangle(
        (dx0, floor_y - u * 0.44, dx0 + dw, floor_y), fill=pal.lit((104, 72, 48), indoor=True)
    )
    d.rectangle((dx0, floor_y - u * 0.44, dx0 + dw, floor_y), outline=frame, width=lw)
    k = max(2, round(u * 0.012))
    kx, ky = dx0 + dw - 3 * k, floor_y - round(u * 0.22)
    d.ellipse((kx - k, ky - k, kx + k, ky + k), fill=pal.lit((210, 180, 90), indoor=True))
    _furnish(d, pal, st, floor_y)
    if pal.dark:
        lx, ly = round(w * 0.5), round(u * 0.1)
        for g in (round(u * 0.35), round(u * 0.22)):
            d.ellipse((lx - g, ly - g, lx + g, ly + g), fill=(*_WINDOW_LIT, 18))
        d.line((lx, 0, lx, ly), fill=frame, width=st.line_width)
        r = round(u * 0.025)
        d.ellipse((lx - r, ly - r, lx + r, ly + r), fill=pal.glow(_WINDOW_LIT))


def _furnish(d: Draw, pal: Palette, st: Stage, floor_y: int) -> None:
    """One prop per room kind, enough to tell a tavern from a hall at a glance."""
    u, w, variant = st.bottom, st.width, pal.scene.variant
    wood = pal.lit((120, 84, 54), indoor=True)
    if variant in ("tavern", "inn", "cellar"):
        for i in range(2):
            cx, r = w * 0.62 - i * u * 0.12, u * 0.055
            rounded(
                d,
                (cx - r, floor_y - 2.6 * r, cx + r, floor_y + r * 0.3),
                radius=round(r * 0.5),
                fill=wood,
            )
            for fy in (0.25, 0.75):
                y = floor_y - 2.6 * r + fy * 2.9 * r
                d.line((cx - r, y, cx + r, y), fill=scale(wood, 0.6), width=st.line_width)
    elif variant in ("hall", "throne room"):
        banner = pal.lit((150, 40, 44), indoor=True)
        for fx in (0.45, 0.6):
            x, bw = w * fx, u * 0.05
            d.polygon(
                [
                    (x - bw, u * 0.05),
                    (x + bw, u * 0.05),
                    (x + bw, u * 0.4),
                    (x, u * 0.34),
                    (x - bw, u * 0.4),
                ],
                fill=banner,
            )
    elif variant in ("library", "study", "office"):
        x0, x1 = w * 0.42, w * 0.66
        d.rectangle((x0, floor_y - u * 0.5, x1, floor_y), fill=scale(wood, 0.8))
        books = ((160, 50, 40), (50, 90, 140), (60, 120, 70), (200, 170, 80))
        for shelf in range(4):
            y = floor_y - u * 0.5 + shelf * u * 0.125
            x, i = x0 + 4, 0
            while x < x1 - 8:
                bw = u * 0.018
                fill = pal.lit(books[(shelf + i) % 4], indoor=True)
                d.rectangle((x, y + u * 0.03, x + bw, y + u * 0.115), fill=fill)
                x, i = x + bw + 2, i + 1
    else:
        x0, y0 = w * 0.45, u * 0.2
        d.rectangle(
            (x0, y0, x0 + u * 0.2, y0 + u * 0.15), fill=pal.lit((120, 160, 130), indoor=True)
        )
        d.rectangle((x0, y0, x0 + u * 0.2, y0 + u * 0.15), outline=wood, width=st.line_width * 2)
        d.rectangle((w * 0.55, floor_y - u * 0.14, w * 0.7, floor_y - u * 0.11), fill=wood)


_DRAWERS: dict[str, Callable[[Draw, Palette, Stage, random.Random], None]] = {
    "field": _field,
    "forest": _forest,
    "city": _city,
    "sea": _sea,
    "mountain": _mountain,
    "desert": _desert,
    "village": _village,
    "castle": _castle,
    "interior": _interior,
}


def draw_place(d: Draw, pal: Palette, st: Stage, rng: random.Random) -> None:
    _DRAWERS.get(pal.scene.place, _field)(d, pal, st, rng)
