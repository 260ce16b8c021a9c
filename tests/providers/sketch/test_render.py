from __future__ import annotations

import pytest

from storyreel.errors import InputError
from storyreel.providers.sketch.frame import CharacterSpec, FrameSpec
from storyreel.providers.sketch.layout import font, stage_for
from storyreel.providers.sketch.render import render_frame, wrap_caption
from storyreel.providers.sketch.scenery import Place, TimeOfDay, Weather

CAST = (
    CharacterSpec("Mira", "long red hair, blue jacket"),
    CharacterSpec("Old Tom", "white beard, yellow raincoat, tall"),
    CharacterSpec("Pip", "child, green tunic, hood"),
)


def test_render_is_deterministic() -> None:
    spec = FrameSpec(
        512, 288, "a rainy harbour at night", "They argue.", "medium", CAST, "", 42, "Shot 3"
    )
    first, second = render_frame(spec), render_frame(spec)
    assert first.mode == "RGB" and first.size == (512, 288)
    assert first.tobytes() == second.tobytes()


def test_seed_only_moves_scenery() -> None:
    a = render_frame(FrameSpec(320, 180, "forest", characters=CAST, seed=1))
    b = render_frame(FrameSpec(320, 180, "forest", characters=CAST, seed=2))
    assert a.tobytes() != b.tobytes()


@pytest.mark.parametrize(
    ("width", "height"), [(63, 100), (100, 63), (4097, 100), (100, 4097), (0, 0), (-5, 100)]
)
def test_size_is_validated(width: int, height: int) -> None:
    with pytest.raises(InputError) as err:
        render_frame(FrameSpec(width, height))
    message = str(err.value)
    assert "\n" not in message and "64" in message and "4096" in message


def test_non_integer_size_is_rejected() -> None:
    with pytest.raises(InputError):
        render_frame(FrameSpec(100.5, 100))  # type: ignore[arg-type]


@pytest.mark.parametrize(("width", "height"), [(64, 64), (4096, 64), (64, 1024)])
def test_extreme_sizes_render(width: int, height: int) -> None:
    spec = FrameSpec(width, height, "city at night", "x " * 100, "", CAST * 3, shot_label="S1")
    assert render_frame(spec).size == (width, height)


def test_every_time_and_place_renders_with_three_characters() -> None:
    for place in Place:
        for time_of_day in TimeOfDay:
            setting = f"{place.value} at {time_of_day.value}"
            spec = FrameSpec(1024, 576, setting, "They meet.", "wide", CAST, seed=3)
            img = render_frame(spec)
            assert img.size == (1024, 576)


def test_every_weather_framing_and_style_renders() -> None:
    for weather in Weather:
        for camera in ("wide", "medium", "close-up", ""):
            for style in ("", "noir", "sepia", "watercolor", "ink"):
                spec = FrameSpec(256, 144, f"{weather.value} village", "a", camera, CAST, style)
                assert render_frame(spec).size == (256, 144)


def test_caption_wraps_to_two_lines_with_ellipsis() -> None:
    f = font(20)
    lines = wrap_caption("word " * 200, f, 300)
    assert len(lines) == 2
    assert lines[-1].endswith("\u2026")
    assert all(f.getlength(line) <= 300 for line in lines)
    assert wrap_caption("short caption", f, 300) == ["short caption"]
    long_word = wrap_caption("x" * 500, f, 300)
    assert len(long_word) == 1 and f.getlength(long_word[0]) <= 300


def test_caption_band_and_shot_label_are_drawn() -> None:
    plain = render_frame(FrameSpec(640, 360, "field"))
    captioned = render_frame(FrameSpec(640, 360, "field", "Mira runs.", shot_label="Shot 7"))
    stage = stage_for(640, 360)
    band = (0, stage.bottom + 2, 640, 358)
    assert plain.crop(band).tobytes() != captioned.crop(band).tobytes()
    corner = (2, 2, 60, 20)
    assert plain.crop(corner).tobytes() != captioned.crop(corner).tobytes()
    # the band is paper-coloured behind the text
    assert captioned.getpixel((639 - 10, stage.bottom + 10)) == (246, 244, 238)
    # border
    assert captioned.getpixel((0, 100)) == (28, 28, 32)
