"""Reading prompts files and image folders, hostile ones included."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.bulk.inputs import (
    MAX_PROMPT_CHARS,
    MAX_PROMPTS_BYTES,
    parse_prompts,
    read_images,
    read_prompts,
)
from storyreel.errors import InputError

from .helpers import make_images

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def test_the_seed_example_is_three_prompts() -> None:
    text = (
        "Camera slowly zooms in on the subject\n---\nThe subject turns and smiles\n---\n"
        "Gentle breeze moves through the scene\n"
    )
    assert parse_prompts(text) == [
        "Camera slowly zooms in on the subject",
        "The subject turns and smiles",
        "Gentle breeze moves through the scene",
    ]


def test_blank_lines_separate_and_lines_of_one_prompt_join() -> None:
    text = "first line\n  continues   here \n\n\nsecond\n---\n---\nthird\r\n"
    assert parse_prompts(text) == ["first line continues here", "second", "third"]


@pytest.mark.parametrize("text", ["", "\n\n  \n", "---\n---\n\n---", "   ---   \n"])
def test_a_file_without_prompts_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="holds no prompts"):
        parse_prompts(text)


def test_a_huge_prompt_is_refused_naming_it() -> None:
    with pytest.raises(InputError, match="prompt 2 is"):
        parse_prompts("ok\n---\n" + "x" * (MAX_PROMPT_CHARS + 1))


def test_a_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes(b"a prompt\n---\n" * (MAX_PROMPTS_BYTES // 10))
    with pytest.raises(InputError, match="the limit is 1 MB"):
        read_prompts(path)


def test_binary_and_non_utf8_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0IHDR")
    with pytest.raises(InputError, match="is a binary file"):
        read_prompts(binary)
    latin = tmp_path / "l.txt"
    latin.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 0xe9 at offset 3\)"):
        read_prompts(latin)


def test_a_bom_and_unicode_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes("\ufeffLa caméra avance\n---\n镜头缓缓推进\n".encode())
    assert read_prompts(path) == ["La caméra avance", "镜头缓缓推进"]


def test_a_missing_prompts_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_prompts(tmp_path / "nope.txt")


def test_images_are_read_sorted_and_other_files_skipped(tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", 3)
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    (tmp_path / "imgs" / ".hidden.png").write_bytes(b"junk")
    (tmp_path / "imgs" / "sub").mkdir()
    images = read_images(tmp_path / "imgs", **LIMITS)
    assert [i.name for i in images] == ["img00.png", "img01.png", "img02.png"]
    assert {i.mime for i in images} == {"image/png"}
    assert len({i.sha256 for i in images}) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"this is not a jpeg", "is not a supported image"),
    ],
)
def test_an_unreadable_image_is_one_error_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    make_images(tmp_path / "imgs", 2)
    (tmp_path / "imgs" / "broken.jpg").write_bytes(content)
    with pytest.raises(InputError, match=rf"broken\.jpg {message}"):
        read_images(tmp_path / "imgs", **LIMITS)


def test_an_image_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", 1, size=(300, 300))
    with pytest.raises(InputError, match=r"img00\.png is too large"):
        read_images(tmp_path / "imgs", max_bytes=10**8, max_pixels=10_000)


def test_an_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no images"):
        read_images(tmp_path / "empty", **LIMITS)
    with pytest.raises(InputError, match="does not exist"):
        read_images(tmp_path / "missing", **LIMITS)
