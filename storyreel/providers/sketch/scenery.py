"""Setting text -> ``Scene`` -> sky, light and weather, with the place drawn by ``places``.

Settings are free text written by people ("a rainy harbour at night"), so parsing is a
keyword match, not a grammar: a wrong guess still gives a readable backdrop, and the same
words always give the same backdrop.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar

from PIL import Image, ImageDraw

from storyreel.providers.sketch import places
from storyreel.providers.sketch.layout import (
    RGB,
    Stage,
    clamp,
    desaturate,
    digest_int,
    luminance,
    mix,
    scale,
)

K = TypeVar("K")


class TimeOfDay(StrEnum):
    dawn = "dawn"
    morning = "morning"
    day = "day"
    noon = "noon"
    afternoon = "afternoon"
    sunset = "sunset"
    night = "night"


class Weather(StrEnum):
    clear = "clear"
    cloudy = "cloudy"
    fog = "fog"
    rain = "rain"
    snow = "snow"
    storm = "storm"


class Place(StrEnum):
    field = "field"
    forest = "forest"
    city = "city"
    sea = "sea"
    mountain = "mountain"
    desert = "desert"
    village = "village"
    castle = "castle"
    interior = "interior"


class Style(StrEnum):
    plain = "plain"
    noir = "noir"
    sepia = "sepia"
    watercolor = "watercolor"
    ink = "ink"


_TIME_WORDS: dict[TimeOfDay, tuple[str, ...]] = {
    TimeOfDay.dawn: ("dawn", "sunrise", "daybreak", "first light"),
    TimeOfDay.morning: ("morning",),
    TimeOfDay.noon: ("noon", "midday", "high noon"),
    TimeOfDay.afternoon: ("afternoon",),
    TimeOfDay.sunset: ("sunset", "dusk", "evening", "twilight", "sundown", "golden hour"),
    TimeOfDay.night: ("night", "midnight", "nighttime", "moonlit", "moonlight", "starry"),
    TimeOfDay.day: ("daytime", "daylight"),
}
# Listed strongest first: a stormy, rainy night is drawn as a storm.
_WEATHER_WORDS: dict[Weather, tuple[str, ...]] = {
    Weather.storm: ("storm", "stormy", "thunder", "thunderstorm", "lightning", "tempest"),
    Weather.snow: ("snow", "snowy", "snowing", "snowfall", "blizzard", "snowstorm", "winter"),
    Weather.rain: ("rain", "rainy", "raining", "drizzle", "downpour", "rainfall", "showers"),
    Weather.fog: ("fog", "foggy", "mist", "misty", "haze", "hazy"),
    Weather.cloudy: ("cloudy", "overcast", "clouds", "grey sky", "gray sky"),
    Weather.clear: ("clear", "sunny", "cloudless", "sunlit"),
}
_PLACE_WORDS: dict[Place, tuple[str, ...]] = {
    Place.interior: (
        "interior", "indoors", "room", "bedroom", "tavern", "inn", "kitchen", "hall",
        "throne room", "library", "office", "study", "cellar", "chamber", "attic", "classroom",
    ),
    Place.forest: ("forest", "woods", "jungle", "grove", "woodland", "trees"),
    Place.city: (
        "city", "street", "streets", "alley", "downtown", "avenue", "rooftop", "rooftops",
        "skyline", "boulevard",
    ),
    Place.sea: (
        "sea", "ocean", "beach", "harbour", "harbor", "port", "dock", "docks", "pier", "wharf",
        "quay", "shore", "coast", "seaside", "bay", "lake",
    ),
    Place.mountain: ("mountain", "mountains", "cliff", "cliffs", "peak", "peaks", "summit"),
    Place.desert: ("desert", "dunes", "dune", "sands", "wasteland", "canyon", "oasis"),
    Place.village: (
        "village", "market", "marketplace", "bazaar", "town square", "town", "hamlet", "stalls",
    ),
    Place.castle: (
        "castle", "fortress", "citadel", "palace", "ramparts", "battlements", "castle gate",
    ),
    Place.field: (
        "field", "fields", "meadow", "meadows", "farm", "hills", "plain", "plains",
        "countryside", "grassland", "garden", "park",
    ),
}  # fmt: skip
# A more telling word anywhere in the setting picks the variant: "village market".
_VARIANT_HINTS: dict[Place, tuple[str, ...]] = {
    Place.village: ("market", "marketplace", "bazaar", "stalls"),
    Place.sea: ("harbour", "harbor", "port", "dock", "docks", "pier", "wharf", "quay", "beach"),
}
_STYLE_WORDS: dict[Style, tuple[str, ...]] = {
    Style.noir: ("noir", "black and white", "monochrome", "greyscale", "grayscale"),
    Style.sepia: ("sepia", "vintage", "old photo", "antique"),
    Style.watercolor: ("watercolor", "watercolour", "pastel", "soft"),
    Style.ink: ("ink", "sketch", "pencil", "charcoal", "line art"),
}


@lru_cache(maxsize=512)
def _pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"\b" + r"[\s-]+".join(map(re.escape, word.split())) + r"\b", re.IGNORECASE)


_ALL: list[tuple[str, str, re.Pattern[str]]] = [
    (kind, word, _pattern(word))
    for kind, table in (("time", _TIME_WORDS), ("weather", _WEATHER_WORDS), ("place", _PLACE_WORDS))
    for words in table.values()
    for word in words
]


def setting_words(text: str) -> list[str]:
    """The setting words of ``text`` in reading order, so a prompt can be cut down to them."""
    found = sorted(
        (m.start(), -len(word), word) for _, word, pat in _ALL for m in pat.finditer(text)
    )
    out: list[str] = []
    end = -1
    for start, neg_len, word in found:
        if start >= end:  # skip "gate" inside an already matched "castle gate"
            out.append(word)
            end = start - neg_len
    return out


def _first(text: str, table: dict[K, tuple[str, ...]]) -> tuple[K, str] | None:
    best: tuple[int, K, str] | None = None
    for key, words in table.items():
        for word in words:
            m = _pattern(word).search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), key, word)
    return None if best is None else (best[1], best[2])


def _strongest(text: str, table: dict[K, tuple[str, ...]]) -> K | None:
    for key, words in table.items():
        if any(_pattern(w).search(text) for w in words):
            return key
    return None


@dataclass(frozen=True)
class Scene:
    time_of_day: TimeOfDay = TimeOfDay.day
    weather: Weather = Weather.clear
    place: Place = Place.field
    variant: str = ""  # the place word that matched: "harbour", "market", "tavern"
    style: Style = Style.plain


def parse_scene(setting: str, style: str = "") -> Scene:
    """Indoor words win over outdoor ones: "a tavern by the sea" is drawn from inside."""
    time = _first(setting, _TIME_WORDS)
    weather = _strongest(setting, _WEATHER_WORDS)
    indoor = _first(setting, {Place.interior: _PLACE_WORDS[Place.interior]})
    place = indoor or _first(setting, _PLACE_WORDS)
    if place is not None:
        hint = _first(setting, {place[0]: _VARIANT_HINTS.get(place[0], ())})
        place = hint or place
    return Scene(
        time_of_day=time[0] if time else TimeOfDay.day,
        weather=weather or Weather.clear,
        place=place[0] if place else Place.field,
        variant=place[1].lower() if place else "",
        style=_strongest(style, _STYLE_WORDS) or Style.plain,
    )


# sky top, sky bottom, brightness, ambient colour, ambient amount, light colour,
# light position (x as a share of the width, y as a share of the horizon height)
_TIMES: dict[TimeOfDay, tuple[RGB, RGB, float, RGB, float, RGB, tuple[float, float]]] = {
    TimeOfDay.dawn: ((88, 92, 150), (246, 184, 150), 0.8, (255, 170, 150), 0.18,
                     (255, 222, 180), (0.18, 0.86)),
    TimeOfDay.morning: ((112, 166, 226), (214, 232, 245), 0.95, (255, 240, 210), 0.06,
                        (255, 248, 220), (0.24, 0.42)),
    TimeOfDay.day: ((96, 156, 226), (198, 225, 248), 1.0, (255, 255, 255), 0.0,
                    (255, 250, 225), (0.72, 0.26)),
    TimeOfDay.noon: ((76, 146, 232), (182, 219, 250), 1.05, (255, 255, 240), 0.05,
                     (255, 252, 228), (0.5, 0.16)),
    TimeOfDay.afternoon: ((100, 150, 215), (236, 218, 180), 0.95, (255, 210, 150), 0.1,
                          (255, 236, 190), (0.78, 0.42)),
    TimeOfDay.sunset: ((70, 55, 115), (252, 146, 84), 0.72, (255, 140, 80), 0.25,
                       (255, 184, 104), (0.68, 0.88)),
    TimeOfDay.night: ((8, 12, 34), (30, 42, 78), 0.32, (60, 80, 150), 0.35,
                      (236, 236, 214), (0.78, 0.3)),
}  # fmt: skip
# brightness factor, how far the sky goes to grey, that grey, how much colour is lost
_WEATHERS: dict[Weather, tuple[float, float, RGB, float]] = {
    Weather.clear: (1.0, 0.0, (0, 0, 0), 0.0),
    Weather.cloudy: (0.88, 0.5, (176, 181, 191), 0.15),
    Weather.fog: (0.92, 0.75, (206, 209, 213), 0.35),
    Weather.rain: (0.78, 0.65, (128, 134, 146), 0.3),
    Weather.snow: (0.95, 0.45, (216, 221, 231), 0.2),
    Weather.storm: (0.55, 0.8, (72, 74, 88), 0.4),
}


def _style_tint(c: RGB, style: Style) -> RGB:
    if style is Style.noir:
        g = clamp((luminance(c) - 128) * 1.25 + 122)
        return (g, g, clamp(g * 1.03))
    if style is Style.sepia:
        lum = luminance(c)
        return (clamp(lum * 0.95 + 38), clamp(lum * 0.8 + 22), clamp(lum * 0.58 + 8))
    if style is Style.watercolor:
        return mix(desaturate(c, 0.2), (250, 247, 238), 0.25)
    if style is Style.ink:
        return mix(desaturate(c, 0.8), (246, 242, 230), 0.3)
    return c


@dataclass(frozen=True)
class Palette:
    """Every scenery colour goes through ``lit`` so time, weather and style apply once."""

    scene: Scene
    sky_top: RGB
    sky_bottom: RGB
    brightness: float
    ambient: RGB
    ambient_amount: float
    desat: float
    light: RGB
    light_pos: tuple[float, float]

    @property
    def dark(self) -> bool:
        return self.scene.time_of_day in (TimeOfDay.night, TimeOfDay.sunset, TimeOfDay.dawn) or (
            self.scene.weather is Weather.storm
        )

    @property
    def celestial(self) -> bool:
        return self.scene.weather in (Weather.clear, Weather.cloudy)

    def lit(self, c: RGB, *, indoor: bool = False) -> RGB:
        b = 0.6 + 0.4 * self.brightness if indoor else self.brightness
        ambient = (255, 196, 130) if indoor else self.ambient
        out = mix(scale(c, b), scale(ambient, min(b, 1.0)), self.ambient_amount)
        return _style_tint(desaturate(out, self.desat), self.scene.style)

    def glow(self, c: RGB) -> RGB:
        """Light sources keep their own colour whatever the light around them."""
        return _style_tint(c, self.scene.style)

    def sky(self, t: float) -> RGB:
        return self.glow(mix(self.sky_top, self.sky_bottom, t))


def palette_for(scene: Scene) -> Palette:
    top, bottom, bright, ambient, amount, light, pos = _TIMES[scene.time_of_day]
    w_bright, w_grey, grey, w_desat = _WEATHERS[scene.weather]
    grey = scale(grey, min(1.0, bright))
    return Palette(
        scene=scene,
        sky_top=mix(top, grey, w_grey),
        sky_bottom=mix(bottom, grey, w_grey),
        brightness=bright * w_bright,
        ambient=ambient,
        ambient_amount=amount,
        desat=w_desat,
        light=light,
        light_pos=pos,
    )


_GROUND: dict[Place, RGB] = {
    Place.field: (104, 160, 80),
    Place.forest: (62, 112, 62),
    Place.city: (96, 96, 102),
    Place.sea: (212, 190, 140),
    Place.mountain: (112, 122, 96),
    Place.desert: (226, 192, 134),
    Place.village: (168, 148, 112),
    Place.castle: (110, 140, 86),
    Place.interior: (128, 90, 58),
}


def ground_colour(scene: Scene) -> RGB:
    base = _GROUND[scene.place]
    if scene.weather is Weather.snow and scene.place not in (Place.interior, Place.desert):
        return mix(base, (238, 242, 248), 0.8)
    return base


def scene_rng(scene: Scene, seed: int) -> random.Random:
    """Jitter depends on the seed and the scene only, never on the characters in it."""
    return random.Random(digest_int("sketch-scenery", seed, scene.place, scene.variant))


def draw_sky_and_ground(img: Image.Image, pal: Palette, stage: Stage) -> None:
    """One 1-pixel column, stretched: a per-row gradient costs nothing at any size."""
    h, hz = stage.height, stage.horizon
    ground = ground_colour(pal.scene)
    far = pal.lit(mix(ground, pal.sky_bottom, 0.25))
    near = pal.lit(scale(ground, 0.86))
    column = [pal.sky(y / hz) if y < hz else mix(far, near, (y - hz) / (h - hz)) for y in range(h)]
    strip = Image.new("RGB", (1, h))
    strip.putdata(column)
    img.paste(strip.resize((stage.width, h), Image.Resampling.NEAREST))


def light_position(pal: Palette, stage: Stage) -> tuple[int, int]:
    fx, fy = pal.light_pos
    return round(stage.width * fx), round(stage.horizon * fy)


def draw_celestial(
    draw: ImageDraw.ImageDraw, pal: Palette, stage: Stage, rng: random.Random, at: tuple[int, int]
) -> None:
    """Sun or moon where the time of day puts it; stars only on a clear night."""
    if not pal.celestial:
        return
    x, y = at
    night = pal.scene.time_of_day is TimeOfDay.night
    big = pal.scene.time_of_day in (TimeOfDay.sunset, TimeOfDay.dawn)
    r = round(stage.bottom * (0.07 if big else 0.045))
    if night and pal.scene.weather is Weather.clear:
        for _ in range(stage.width * stage.horizon // 5000):
            sx, sy = rng.randrange(stage.width), rng.randrange(max(1, stage.horizon * 4 // 5))
            s = max(1, stage.height // 400)
            draw.rectangle((sx, sy, sx + s - 1, sy + s - 1), fill=(*pal.glow((236, 236, 214)), 200))
    light = pal.glow(pal.light)
    draw.ellipse((x - 2 * r, y - 2 * r, x + 2 * r, y + 2 * r), fill=(*light, 40))
    draw.ellipse((x - r, y - r, x + r, y + r), fill=light)
    if night:  # a crescent reads as "moon" at any size, a disc could be a sun
        off = round(r * 0.45)
        draw.ellipse(
            (x - r + off, y - r - off // 2, x + r + off, y + r - off // 2),
            fill=pal.sky(max(0.0, min(1.0, (y - off / 2) / stage.horizon))),
        )


def cloud(draw: ImageDraw.ImageDraw, cx: int, cy: int, w: int, fill: tuple[int, ...]) -> None:
    h = w // 3
    for dx, dy, rw in ((-0.3, 0.1, 0.45), (0.0, -0.15, 0.5), (0.3, 0.05, 0.42), (0.0, 0.2, 0.7)):
        x, y, rx = cx + round(dx * w), cy + round(dy * h), round(rw * w / 2)
        draw.ellipse((x - rx, y - h // 2, x + rx, y + h // 2), fill=fill)


def draw_clouds(draw: ImageDraw.ImageDraw, pal: Palette, stage: Stage, rng: random.Random) -> None:
    weather = pal.scene.weather
    if weather in (Weather.clear, Weather.fog):
        return
    u, w = stage.bottom, stage.width
    if weather is Weather.storm:
        colour, alpha, count, size = (40, 42, 52), 230, 9, 0.5
        draw.rectangle((0, 0, w, round(u * 0.08)), fill=(*pal.lit((60, 62, 74)), 220))
    elif weather is Weather.cloudy:
        colour, alpha, count, size = (238, 240, 244), 215, 5, 0.4
    else:
        colour, alpha, count, size = (150, 154, 166), 200, 5, 0.45
    fill = (*pal.lit(colour), alpha)
    for i in range(count):
        cx = round(w * (i + rng.uniform(0.1, 0.9)) / count)
        cy = round(u * rng.uniform(0.04, 0.22))
        cloud(draw, cx, cy, round(u * size * rng.uniform(0.7, 1.2)), fill)


def draw_precipitation(
    draw: ImageDraw.ImageDraw, pal: Palette, stage: Stage, rng: random.Random
) -> None:
    """Rain and snow cover the whole frame; figures are drawn later and stay clean."""
    weather = pal.scene.weather
    w, h = stage.width, stage.height
    if weather in (Weather.rain, Weather.storm):
        dark = pal.scene.time_of_day is TimeOfDay.night
        colour = (*pal.glow((150, 166, 196) if dark else (214, 222, 234)), 150)
        count = w * h // (1100 if weather is Weather.storm else 1800)
        length = max(4, round(h * 0.04))
        slant = 0.35 if weather is Weather.storm else 0.22
        width = max(1, h // 500)
        for _ in range(count):
            x, y = rng.randrange(-length, w), rng.randrange(-length, h)
            draw.line((x, y, x + round(length * slant), y + length), fill=colour, width=width)
    if weather is Weather.storm:
        x = round(w * rng.uniform(0.15, 0.85))
        y, points = 0, []
        while y < stage.horizon:
            points.append((x, y))
            x += round(stage.bottom * rng.uniform(-0.05, 0.05))
            y += round(stage.bottom * rng.uniform(0.05, 0.09))
        draw.line(points, fill=pal.glow((250, 250, 225)), width=max(2, h // 200), joint="curve")
    if weather is Weather.snow:
        fill = (*pal.glow((250, 250, 255)), 230)
        for _ in range(w * h // 2500):
            x, y = rng.randrange(w), rng.randrange(h)
            r = max(1, round(h / 576 * rng.uniform(1.0, 3.0)))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def draw_fog(draw: ImageDraw.ImageDraw, pal: Palette, stage: Stage) -> None:
    if pal.scene.weather is not Weather.fog:
        return
    veil = pal.lit((214, 216, 220))
    draw.rectangle((0, 0, stage.width, stage.height), fill=(*veil, 70))
    band = round(stage.bottom * 0.05)
    for i in range(6):  # overlapping bands: thickest right at the horizon
        y = stage.horizon - band * (3 - i // 2) + i * band // 2
        draw.rectangle((0, y, stage.width, y + band * (6 - i)), fill=(*veil, 22))


def draw_scenery(img: Image.Image, scene: Scene, stage: Stage, seed: int = 0) -> None:
    """Backdrop for one frame, drawn in place onto ``img`` (RGB, the stage's size).

    Indoors the weather is drawn before the walls so it only shows through the window.
    """
    pal = palette_for(scene)
    rng = scene_rng(scene, seed)
    draw_sky_and_ground(img, pal, stage)
    draw = ImageDraw.Draw(img, "RGBA")
    indoor = scene.place is Place.interior
    at = places.window_light(stage) if indoor else light_position(pal, stage)
    draw_celestial(draw, pal, stage, rng, at)
    draw_clouds(draw, pal, stage, rng)
    if indoor:
        draw_precipitation(draw, pal, stage, rng)
    places.draw_place(draw, pal, stage, rng)
    if not indoor:
        draw_precipitation(draw, pal, stage, rng)
        draw_fog(draw, pal, stage)
