"""Characters as paper-doll figures that look the same in every panel.

A character's look is a function of its ``CharacterSpec`` alone: colours named in the
description win, anything unnamed comes from sha256 of the name. Seed, setting and camera
only move and scale the figure, so a reader can follow "the one in the red cloak" from
panel to panel.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from enum import StrEnum

from storyreel.providers.sketch.frame import CharacterSpec, FrameSpec, Framing, framing_from_camera
from storyreel.providers.sketch.layout import (
    RGB,
    Stage,
    digest_int,
    font,
    mix,
    scale,
    stage_for,
)

_COLOURS: dict[str, RGB] = {
    "red": (196, 48, 43), "crimson": (160, 20, 45), "scarlet": (220, 40, 35),
    "maroon": (120, 30, 40), "burgundy": (128, 0, 50), "orange": (235, 130, 40),
    "amber": (230, 160, 40), "ginger": (200, 95, 40), "auburn": (145, 60, 35),
    "copper": (184, 100, 51), "yellow": (235, 205, 60), "gold": (212, 175, 55),
    "golden": (218, 175, 60), "blonde": (235, 205, 130), "blond": (235, 205, 130),
    "green": (60, 140, 70), "emerald": (30, 140, 90), "olive": (110, 120, 50),
    "teal": (30, 128, 128), "turquoise": (60, 190, 200), "blue": (45, 90, 180),
    "navy": (30, 40, 90), "azure": (60, 140, 220), "purple": (110, 50, 150),
    "violet": (130, 80, 190), "lavender": (180, 160, 220), "pink": (230, 130, 170),
    "magenta": (200, 40, 140), "brown": (110, 70, 40), "chestnut": (120, 60, 35),
    "tan": (200, 160, 110), "beige": (215, 200, 170), "khaki": (190, 175, 120),
    "cream": (240, 230, 200), "black": (32, 32, 36), "raven": (25, 25, 30),
    "white": (240, 240, 236), "grey": (130, 130, 135), "gray": (130, 130, 135),
    "silver": (192, 196, 204), "bronze": (176, 125, 60), "platinum": (229, 228, 226),
    "steel": (170, 174, 182), "iron": (120, 122, 128), "leather": (128, 86, 52),
}  # fmt: skip
_HAIR_COLOURS: dict[str, RGB] = {
    "red": (178, 58, 30), "brown": (100, 64, 38), "black": (30, 26, 26),
    "white": (236, 234, 228), "grey": (165, 165, 165), "gray": (165, 165, 165),
    "silver": (205, 206, 212), "golden": (230, 190, 90), "gold": (230, 190, 90),
    "brunette": (90, 58, 36), "redhead": (178, 58, 30),
}  # fmt: skip
_SKINS: dict[str, RGB] = {
    "pale": (245, 222, 204), "fair": (240, 210, 185), "light": (234, 200, 170),
    "freckled": (234, 196, 165), "olive": (200, 160, 115), "tan": (196, 146, 102),
    "tanned": (196, 146, 102), "brown": (150, 100, 66), "dark": (104, 68, 46),
    "black": (82, 54, 40), "deep": (92, 60, 42), "ebony": (72, 46, 36),
}  # fmt: skip
_SKIN_TONES: tuple[RGB, ...] = (
    (245, 218, 196), (234, 196, 162), (214, 170, 130), (190, 140, 100),
    (150, 102, 68), (112, 74, 50), (88, 58, 42),
)  # fmt: skip
_HAIR_TONES: tuple[RGB, ...] = (
    (30, 26, 26), (60, 40, 28), (100, 64, 38), (120, 60, 35), (145, 60, 35),
    (228, 196, 120), (190, 150, 90), (178, 58, 30),
)  # fmt: skip
_LEG_TONES: tuple[RGB, ...] = (
    (46, 54, 80), (56, 56, 60), (92, 66, 46), (150, 136, 100), (52, 72, 52),
)  # fmt: skip

_NOUNS: dict[str, tuple[str, ...]] = {
    "hair": ("hair", "haired", "locks", "curls", "braid", "braids", "ponytail", "mane", "bun"),
    "beard": ("beard", "bearded", "moustache", "mustache", "goatee", "stubble"),
    "skin": ("skin", "skinned", "complexion"),
    "top": (
        "jacket", "coat", "tunic", "shirt", "armor", "armour", "chainmail", "robe", "robes",
        "dress", "gown", "vest", "sweater", "jumper", "hoodie", "uniform", "suit", "blouse",
        "tabard", "doublet", "apron", "kimono", "breastplate", "jersey", "cardigan", "parka",
        "raincoat", "overcoat", "trenchcoat", "sari", "top",
    ),
    "cloak": ("cloak", "cape", "mantle", "shawl", "poncho"),
    "legs": ("trousers", "pants", "jeans", "leggings", "skirt", "breeches", "shorts", "kilt"),
    "shoes": ("boots", "shoes", "sandals", "slippers"),
    "hat": ("hat", "hood", "hooded", "helmet", "cap", "crown", "beanie", "bonnet", "turban"),
}  # fmt: skip
_NOUN_SLOT = {noun: slot for slot, nouns in _NOUNS.items() for noun in nouns}
_HAIR_ONLY = {"blonde", "blond", "brunette", "redhead", "auburn", "ginger", "raven"}
_SHADES = {"dark": 0.65, "deep": 0.7, "light": 1.35, "pale": 1.35, "bright": 1.1}
_STOP = {"and", "with", "in", "wearing", "a", "an", "the", "of", "on", "at", "who", "is", "has"}
_HEIGHTS: tuple[tuple[tuple[str, ...], float, float, float], ...] = (
    (("child", "kid", "toddler", "little", "young boy", "young girl"), 0.68, 1.3, 1.0),
    (("dwarf",), 0.75, 1.12, 1.25),
    (("giant", "huge", "towering"), 1.3, 1.0, 1.25),
    (("tall", "lanky"), 1.12, 1.0, 1.0),
    (("short", "small", "petite"), 0.88, 1.0, 0.95),
    (("teen", "teenage", "teenager"), 0.93, 1.05, 0.95),
    (("elderly", "old", "aged"), 0.96, 1.0, 1.0),
)
_BUILDS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("broad", "burly", "stocky", "muscular", "big", "heavy", "stout", "portly"), 1.22),
    (("slim", "thin", "slender", "skinny", "lanky", "wiry", "petite"), 0.86),
)


class HatKind(StrEnum):
    none = "none"
    hat = "hat"
    hood = "hood"
    helmet = "helmet"
    crown = "crown"


@dataclass(frozen=True)
class Look:
    """Everything that makes a character recognisable; independent of the frame."""

    skin: RGB
    hair: RGB
    top: RGB
    legs: RGB
    shoes: RGB
    beard: RGB | None = None
    cloak: RGB | None = None
    hat: RGB | None = None
    hat_kind: HatKind = HatKind.none
    long_hair: bool = False
    bald: bool = False
    robe: bool = False
    armor: bool = False
    height: float = 1.0  # relative to an average adult
    build: float = 1.0  # shoulder width factor
    head: float = 1.0  # head size factor; children have bigger heads


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("'", ""))


def _has(tokens: list[str], phrase: str) -> bool:
    words = phrase.split()
    return any(tokens[i : i + len(words)] == words for i in range(len(tokens)))


def _named_colours(tokens: list[str]) -> dict[str, RGB]:
    """Colour words bound to the next garment/hair noun: "brown messy hair", "red wool cloak"."""
    found: dict[str, RGB] = {}
    for i, tok in enumerate(tokens):
        if tok not in _COLOURS and tok not in _HAIR_COLOURS and tok not in _SKINS:
            continue
        slot = None
        for nxt in tokens[i + 1 : i + 4]:
            if nxt in _NOUN_SLOT:
                slot = _NOUN_SLOT[nxt]
                break
            if nxt in _STOP or nxt in _COLOURS or nxt in _SKINS:
                break  # "blonde, green tunic": the tunic belongs to "green"
        if slot is None and tok in _HAIR_ONLY:
            slot = "hair"
        if slot is None or slot in found:
            continue
        if slot == "skin":
            colour = _SKINS.get(tok) or _COLOURS[tok]
        elif slot in ("hair", "beard"):
            colour = _HAIR_COLOURS.get(tok) or _COLOURS.get(tok) or _SKINS[tok]
        elif tok in _COLOURS:
            colour = _COLOURS[tok]
        else:
            continue  # "pale", "dark" alone only shade the colour that follows
        if i > 0 and tokens[i - 1] in _SHADES:
            f = _SHADES[tokens[i - 1]]
            colour = scale(colour, f) if f < 1 else mix(colour, (255, 255, 255), f - 1)
        found[slot] = colour
    if "skin" not in found:
        for word in ("pale", "freckled", "tanned"):
            if word in tokens and not any(
                t in _COLOURS for t in tokens[tokens.index(word) + 1 : tokens.index(word) + 2]
            ):
                found["skin"] = _SKINS[word]
                break
    return found


def _pick(name: str, purpose: str, options: tuple[RGB, ...]) -> RGB:
    return options[digest_int("sketch-figure", name, purpose) % len(options)]


def _hashed_hue(name: str, purpose: str) -> RGB:
    n = digest_int("sketch-figure", name, purpose)
    h, s, v = (n % 360) / 360, 0.45 + (n >> 9) % 26 / 100, 0.55 + (n >> 17) % 26 / 100
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def character_look(spec: CharacterSpec) -> Look:
    """The same ``CharacterSpec`` always gives the same ``Look``."""
    key = " ".join(spec.name.casefold().split())
    tokens = _tokens(spec.description)
    named = _named_colours(tokens)
    present = {slot for tok in tokens if (slot := _NOUN_SLOT.get(tok))}
    old = any(w in tokens for w in ("elderly", "old", "aged", "grey-haired"))
    beard = named.get("beard") or (
        (named.get("hair") or _pick(key, "hair", _HAIR_TONES)) if "beard" in present else None
    )
    hair = (
        named.get("hair") or beard or ((165, 165, 165) if old else _pick(key, "hair", _HAIR_TONES))
    )
    height, head, build = 1.0, 1.0, 1.0
    for words, h, hd, b in _HEIGHTS:
        if any(_has(tokens, w) for w in words):
            height, head, build = h, hd, b
            break
    for words, b in _BUILDS:
        if any(w in tokens for w in words):
            build = b
            break
    jitter = digest_int("sketch-figure", key, "shape")
    hat_word = next((t for t in tokens if _NOUN_SLOT.get(t) == "hat"), "")
    hat_kind = {
        "hood": HatKind.hood,
        "hooded": HatKind.hood,
        "helmet": HatKind.helmet,
        "crown": HatKind.crown,
        "": HatKind.none,
    }.get(hat_word, HatKind.hat)
    cloak = named.get("cloak") or (
        _hashed_hue(key, "cloak") if "cloak" in present or hat_kind is HatKind.hood else None
    )
    armored = any(w in tokens for w in ("armor", "armour", "chainmail", "breastplate"))
    hat_default = (212, 175, 55) if hat_kind is HatKind.crown else _hashed_hue(key, "hat")
    if hat_kind is HatKind.helmet:
        hat_default = named.get("top") or (192, 196, 204)
    return Look(
        skin=named.get("skin") or _pick(key, "skin", _SKIN_TONES),
        hair=hair,
        top=spec.top
        or named.get("top")
        or ((192, 196, 204) if armored else _hashed_hue(key, "top")),
        legs=named.get("legs") or _pick(key, "legs", _LEG_TONES),
        shoes=named.get("shoes") or _pick(key, "shoes", ((40, 30, 26), (74, 50, 34))),
        beard=beard,
        cloak=cloak,
        hat=None
        if hat_kind is HatKind.none
        else named.get("hat") or (cloak if hat_kind is HatKind.hood else hat_default),
        hat_kind=hat_kind,
        long_hair=any(w in tokens for w in ("long", "flowing", "braid", "braids", "ponytail")),
        bald="bald" in tokens,
        robe=any(w in tokens for w in ("robe", "robes", "dress", "gown", "kimono", "sari")),
        armor=armored,
        height=height * (0.97 + (jitter % 7) / 100),
        build=build * (0.96 + (jitter >> 8) % 9 / 100),
        head=head,
    )


def hair_visible(look: Look) -> bool:
    return not look.bald and look.hat_kind in (HatKind.none, HatKind.crown)


def character_colours(spec: CharacterSpec) -> dict[str, RGB]:
    """The colours a figure is painted with, by part, for checks and legends."""
    look = character_look(spec)
    out = {"skin": look.skin, "top": look.top, "legs": look.legs}
    if hair_visible(look):
        out["hair"] = look.hair
    for part, colour in (("beard", look.beard), ("cloak", look.cloak), ("hat", look.hat)):
        if colour is not None:
            out[part] = colour
    return out


@dataclass(frozen=True)
class FigureLayout:
    """Where one character is drawn; points are pixel positions inside the frame."""

    index: int
    name: str
    framing: Framing
    center_x: int
    top: int  # top of the head
    figure_height: int  # head to feet, even when the feet are out of frame
    head_center: tuple[int, int]
    head_radius: int
    torso_point: tuple[int, int]  # a pixel painted with ``Look.top``
    hair_point: tuple[int, int] | None  # a pixel painted with ``Look.hair``, if visible
    label_box: tuple[int, int, int, int]


# Proportions as shares of the figure height (the layout and the drawing share them).
HEAD_R, NECK, TORSO, SHOULDER, WAIST = 0.068, 0.03, 0.27, 0.112, 0.09
ARM_W, LEG_W = 0.048, 0.072


def _label_size(st: Stage, name: str) -> tuple[int, int]:
    f = font(st.label_font)
    return round(f.getlength(name)) + st.label_font, round(st.label_font * 1.5)


def figure_layout(spec: FrameSpec) -> list[FigureLayout]:
    """Lay the cast out left to right; close-ups show only the first character."""
    st = stage_for(spec.width, spec.height)
    framing = framing_from_camera(spec.camera, bool(spec.characters))
    cast = spec.characters[:1] if framing is Framing.close_up else spec.characters
    n, u, w = len(cast), st.bottom, st.width
    if n == 0:
        return []
    looks = [character_look(c) for c in cast]
    if framing is Framing.wide:
        base, span, top0 = 0.46 * u, min(0.7, 0.25 * (n - 1)), 0.0
    elif framing is Framing.medium:
        base, span, top0 = 1.45 * u, min(0.76, 0.36 * (n - 1)), 0.2 * u
    else:
        base, span, top0 = 0.4 * u / (2 * HEAD_R), 0.0, 0.1 * u
    spacing = span * w / (n - 1) if n > 1 else w
    widest = max(2 * (SHOULDER * lk.build + ARM_W) for lk in looks) * base
    base *= min(1.0, spacing / (widest * 1.08))
    feet = top0 + base if framing is not Framing.wide else st.ground
    out: list[FigureLayout] = []
    for i, (char, look) in enumerate(zip(cast, looks, strict=True)):
        cx = round(w * (0.5 - span / 2) + i * spacing) if n > 1 else w // 2
        if framing is Framing.close_up:
            fh, head_r = base / look.head, 0.4 * u / 2
            top = top0
        else:
            fh = base * look.height
            top, head_r = feet - fh, HEAD_R * look.head * fh
        shoulders = top + 2 * head_r + NECK * fh
        hair = None
        if hair_visible(look):
            hair = (cx, round(top + 0.3 * head_r))
        lw, lh = _label_size(st, char.name)
        if framing is Framing.wide:
            ly = (
                round(top - head_r * 0.5 - lh)
                if look.hat_kind is HatKind.none
                else round(top - head_r - lh)
            )
        else:
            ly = st.bottom - lh - max(2, round(u * 0.03))
        out.append(
            FigureLayout(
                index=i,
                name=char.name,
                framing=framing,
                center_x=cx,
                top=round(top),
                figure_height=round(fh),
                head_center=(cx, round(top + head_r)),
                head_radius=round(head_r),
                torso_point=(cx, round(shoulders + 0.06 * fh)),
                hair_point=hair,
                label_box=(cx - lw // 2, max(1, ly), cx - lw // 2 + lw, max(1, ly) + lh),
            )
        )
    return out
