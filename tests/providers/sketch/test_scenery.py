from __future__ import annotations

import pytest
from PIL import Image, ImageStat

from storyreel.providers.sketch.layout import stage_for
from storyreel.providers.sketch.scenery import (
    Place,
    Scene,
    Style,
    TimeOfDay,
    Weather,
    draw_scenery,
    parse_scene,
    setting_words,
)


def _scenery(scene: Scene, seed: int = 0, size: tuple[int, int] = (320, 180)) -> Image.Image:
    img = Image.new("RGB", size)
    draw_scenery(img, scene, stage_for(*size), seed)
    return img


@pytest.mark.parametrize(
    ("setting", "time", "weather", "place", "variant"),
    [
        ("a rainy harbour at night", TimeOfDay.night, Weather.rain, Place.sea, "harbour"),
        ("sunny village market at noon", TimeOfDay.noon, Weather.clear, Place.village, "market"),
        ("a tavern by the sea at dusk", TimeOfDay.sunset, Weather.clear, Place.interior, "tavern"),
        ("stormy, rainy night in the city", TimeOfDay.night, Weather.storm, Place.city, "city"),
        ("misty forest at dawn", TimeOfDay.dawn, Weather.fog, Place.forest, "forest"),
        ("snowy mountain pass, morning", TimeOfDay.morning, Weather.snow, Place.mountain, ""),
        ("desert dunes in the afternoon", TimeOfDay.afternoon, Weather.clear, Place.desert, ""),
        ("the castle hall", TimeOfDay.day, Weather.clear, Place.interior, "hall"),
        ("outside the castle gate, overcast", TimeOfDay.day, Weather.cloudy, Place.castle, ""),
        ("", TimeOfDay.day, Weather.clear, Place.field, ""),
    ],
)
def test_parse_scene(
    setting: str, time: TimeOfDay, weather: Weather, place: Place, variant: str
) -> None:
    scene = parse_scene(setting)
    assert (scene.time_of_day, scene.weather, scene.place) == (time, weather, place)
    if variant:
        assert scene.variant == variant


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("noir", Style.noir),
        ("vintage sepia", Style.sepia),
        ("Watercolor", Style.watercolor),
        ("ink sketch", Style.ink),
        ("", Style.plain),
        ("cinematic", Style.plain),
    ],
)
def test_style_words(style: str, expected: Style) -> None:
    assert parse_scene("forest", style).style is expected


def test_setting_words_in_reading_order() -> None:
    assert setting_words("A castle gate at sunset, rain") == ["castle gate", "sunset", "rain"]
    assert setting_words("rainbow over the woodland") == ["woodland"]


def _top_luminance(img: Image.Image) -> float:
    top = img.crop((0, 0, img.width, img.height // 2)).convert("L")
    return float(ImageStat.Stat(top).mean[0])


@pytest.mark.parametrize("place", list(Place))
def test_night_is_darker_than_noon(place: Place) -> None:
    night = _scenery(Scene(time_of_day=TimeOfDay.night, place=place))
    noon = _scenery(Scene(time_of_day=TimeOfDay.noon, place=place))
    assert _top_luminance(night) < _top_luminance(noon) - 20


def test_parsed_night_setting_is_darker_than_noon() -> None:
    night = _scenery(parse_scene("a quiet street at night"))
    noon = _scenery(parse_scene("a quiet street at noon"))
    assert _top_luminance(night) < _top_luminance(noon)


def _off_row_pixels(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels unlike the first pixel of their row: zero for a bare sky gradient."""
    region = img.crop(box)
    px = region.load()
    assert px is not None
    return sum(1 for y in range(region.height) for x in range(region.width) if px[x, y] != px[0, y])


def test_rain_adds_streaks() -> None:
    size = (320, 180)
    box = (0, 0, size[0] // 2, round(stage_for(*size).horizon * 0.5))
    clear = _scenery(Scene(weather=Weather.clear), size=size)
    rain = _scenery(Scene(weather=Weather.rain), size=size)
    area = (box[2] - box[0]) * (box[3] - box[1])
    assert _off_row_pixels(clear, box) == 0
    assert _off_row_pixels(rain, box) > area * 0.02


def test_snow_whitens_the_ground() -> None:
    def ground_luminance(img: Image.Image) -> float:
        strip = img.crop((0, round(img.height * 0.75), img.width, img.height)).convert("L")
        return float(ImageStat.Stat(strip).mean[0])

    clear = _scenery(Scene(weather=Weather.clear))
    snow = _scenery(Scene(weather=Weather.snow))
    assert ground_luminance(snow) > ground_luminance(clear) + 40


def test_noir_is_grey() -> None:
    img = _scenery(Scene(time_of_day=TimeOfDay.sunset, place=Place.city, style=Style.noir))
    r, g, b = (ImageStat.Stat(img).mean[i] for i in range(3))
    assert abs(r - g) < 3 and abs(g - b) < 6


def test_scenery_is_deterministic_and_seeded() -> None:
    scene = Scene(place=Place.forest, weather=Weather.snow)
    assert _scenery(scene, seed=3).tobytes() == _scenery(scene, seed=3).tobytes()
    assert _scenery(scene, seed=3).tobytes() != _scenery(scene, seed=4).tobytes()
