from __future__ import annotations

from storyreel.providers.sketch.figures import (
    HatKind,
    character_colours,
    character_look,
    figure_layout,
)
from storyreel.providers.sketch.frame import CharacterSpec, FrameSpec, Framing
from storyreel.providers.sketch.layout import stage_for
from storyreel.providers.sketch.render import render_frame

MIRA = CharacterSpec("Mira", "young woman with long red hair and a blue jacket")
TOM = CharacterSpec("Old Tom", "elderly sailor, white beard, yellow raincoat")
PIP = CharacterSpec("Pip", "small child, blonde, green tunic")


def test_named_colours() -> None:
    look = character_look(MIRA)
    r, g, b = look.hair
    assert r > g + 60 and r > b + 60  # reddish
    r, g, b = look.top
    assert b > r + 60 and b > g + 40  # bluish
    assert look.long_hair


def test_colour_words_bind_to_the_next_noun() -> None:
    pip = character_look(PIP)
    r, g, b = pip.top
    assert g > r + 40 and g > b + 40  # the tunic is green, not blonde
    assert pip.hair[0] > 200 and pip.hair[1] > 170  # blonde
    assert pip.height < 0.8 < character_look(TOM).height

    tom = character_look(TOM)
    assert tom.beard is not None and min(tom.beard) > 200
    assert tom.hair == tom.beard  # an unnamed hair colour follows the beard

    brown = character_look(CharacterSpec("Kay", "brown messy hair, purple robes, dark skin"))
    assert brown.hair[0] > brown.hair[2] and max(brown.hair) < 140
    assert brown.top[2] > brown.top[1] and brown.robe
    assert max(brown.skin) < 140

    knight = character_look(CharacterSpec("Aldric", "knight in silver armor, red cloak, helmet"))
    assert knight.armor and knight.cloak is not None and knight.cloak[0] > 150
    assert knight.hat_kind is HatKind.helmet
    assert min(knight.top) > 170  # silver


def test_unnamed_colours_come_from_the_name_only() -> None:
    a = character_look(CharacterSpec("Sam"))
    assert a == character_look(CharacterSpec("Sam"))
    assert a == character_look(CharacterSpec("  sam "))
    others = {character_look(CharacterSpec(n)).top for n in ("Ana", "Bo", "Cy", "Di", "Ed")}
    assert len(others) > 1
    assert character_look(CharacterSpec("Sam", "red jacket")).skin == a.skin


def _torso_and_hair(spec: FrameSpec, index: int = 0) -> tuple[object, object]:
    img = render_frame(spec)
    fig = figure_layout(spec)[index]
    assert fig.hair_point is not None
    return img.getpixel(fig.torso_point), img.getpixel(fig.hair_point)


def test_character_looks_the_same_in_every_panel() -> None:
    panels = [
        FrameSpec(512, 288, "a rainy harbour at night", "x", "medium", (TOM, MIRA), seed=1),
        FrameSpec(640, 360, "sunny market at noon", "", "wide shot", (PIP, MIRA), seed=99),
        FrameSpec(400, 300, "misty forest at dawn", "y", "close-up on Mira", (MIRA, TOM), seed=7),
    ]
    expected = character_colours(MIRA)
    seen = set()
    for spec in panels:
        index = [c.name for c in spec.characters].index("Mira")
        index = 0 if figure_layout(spec)[0].framing is Framing.close_up else index
        torso, hair = _torso_and_hair(spec, index)
        assert torso == expected["top"]
        assert hair == expected["hair"]
        seen.add((torso, hair))
        colours = {c for _, c in render_frame(spec).getcolors(1 << 20) or []}
        assert expected["top"] in colours and expected["hair"] in colours
        assert expected["skin"] in colours
    assert len(seen) == 1


def test_layout_left_to_right_within_frame() -> None:
    cast = (MIRA, TOM, PIP, CharacterSpec("Dee"))
    for camera in ("wide", "medium"):
        spec = FrameSpec(1024, 576, camera=camera, characters=cast)
        figs = figure_layout(spec)
        assert [f.name for f in figs] == [c.name for c in cast]
        xs = [f.center_x for f in figs]
        assert xs == sorted(xs) and len(set(xs)) == 4
        assert all(0 < x < spec.width for x in xs)
        stage = stage_for(spec.width, spec.height)
        for f in figs:
            assert 0 <= f.torso_point[1] < stage.bottom
            assert 0 <= f.label_box[1] < f.label_box[3] <= stage.bottom
    close = figure_layout(FrameSpec(1024, 576, camera="close-up", characters=cast))
    assert [f.name for f in close] == ["Mira"]
    assert figure_layout(FrameSpec(1024, 576, camera="wide")) == []


def test_wide_figures_stand_on_the_ground_and_children_are_shorter() -> None:
    spec = FrameSpec(1024, 576, camera="wide", characters=(TOM, PIP))
    tom, pip = figure_layout(spec)
    assert tom.top + tom.figure_height == pip.top + pip.figure_height
    assert pip.figure_height < tom.figure_height
