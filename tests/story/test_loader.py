"""Bad story files: one clear error naming the problem, nothing else happens."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from storyreel.errors import InputError, NotFound
from storyreel.story.loader import load_story, parse_story

GOOD = """
title: Test
characters:
  - name: Mira
    description: red hair
story: Mira walks home.
"""


def load(path: Path) -> object:
    return load_story(path, max_image_bytes=1_000_000, max_image_pixels=4_000_000)


def write(tmp_path: Path, text: str, name: str = "story.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_story_parses() -> None:
    story = parse_story(GOOD)
    assert story.title == "Test" and story.size == (1024, 576)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: [unclosed", "not valid YAML"),
        ("- just\n- a list", "expected a mapping"),
        ("title: T\n", "needs 'story' text or explicit 'beats'"),
        ("title: T\nstory: x\ncharaters: []", "charaters: Extra inputs are not permitted"),
        ("title: T\naspect: 5:4\nstory: x", "write the aspect in quotes"),
        ('title: T\naspect: "5:4"\nstory: x', "aspect must be one of"),
        ("title: T\nstory: x\nrender: {width: 641, height: 360}", "even numbers"),
        ("title: T\nstory: x\nrender: {width: 99999, height: 360}", "render.width"),
        ("title: T\nstory: x\nrender: {width: 640}", "both width and height"),
        (
            "title: T\ncharacters: [{name: Mira}]\n"
            "beats: [{shots: [{action: hi, characters: [Bob]}]}]",
            "shot 1 (beat 1) names unknown character 'Bob'; characters are: Mira",
        ),
        ("title: T\ncharacters: [{name: A}, {name: a}]\nstory: x", "repeated: a"),
    ],
)
def test_malformed_stories_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InputError, match=r"story\.yaml: ") as info:
        parse_story(text, name="story.yaml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_json_story_files_work(tmp_path: Path) -> None:
    path = write(tmp_path, '{"title": "J", "story": "Hello."}', "s.json")
    assert load(path).story.title == "J"  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="not valid JSON"):
        load(write(tmp_path, "{nope", "bad.json"))


def test_missing_file_and_missing_reference(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="story file not found"):
        load(tmp_path / "nope.yaml")
    text = GOOD.replace(
        "description: red hair", "description: red hair\n    references: [mira.png]"
    )
    with pytest.raises(
        InputError, match=r"character Mira: reference image mira.png does not exist"
    ):
        load(write(tmp_path, text))


def test_reference_must_be_a_real_image(tmp_path: Path) -> None:
    text = GOOD.replace(
        "description: red hair", "description: red hair\n    references: [mira.png]"
    )
    (tmp_path / "mira.png").write_text("<html>not an image</html>")
    with pytest.raises(InputError, match=r"story\.yaml: character Mira: reference mira\.png"):
        load(write(tmp_path, text))
    Image.new("RGB", (40, 30), "red").save(tmp_path / "mira.png")
    loaded = load(write(tmp_path, text))
    [ref] = loaded.references  # type: ignore[attr-defined]
    assert ref.character == "Mira" and ref.info.mime == "image/png"
