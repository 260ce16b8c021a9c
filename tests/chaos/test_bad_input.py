"""Hostile and broken input (story files, reference images, CLI options) ends with one
``error: ...`` line, a non-zero exit code, no traceback, and no job written.

Each case is a story folder built in ``tmp_path`` and a ``storyreel story run`` command;
the default models (sketch, motion) run offline, so a case that wrongly passes would
generate instead of failing, and the empty jobs table shows it did not.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from tests.e2e.helpers import cli_env, query, storyreel

pytestmark = pytest.mark.slow

SHOT = "beats: [{shots: [{action: Mira waves, characters: [Mira]}]}]\n"


def with_reference(ref: str) -> str:
    return f"title: Bad input\ncharacters: [{{name: Mira, references: ['{ref}']}}]\n{SHOT}"


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR that claim ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def red_png() -> bytes:
    return image_to_png(Image.new("RGB", (64, 64), "red"))


LAUGHS = "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, k in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def _story(text: str) -> Callable[[Path], None]:
    return lambda d: (d / "story.yaml").write_text(text, encoding="utf-8")


def _bomb(d: Path) -> None:
    (d / "mira.png").write_bytes(png_header_only(100_000, 100_000))
    _story(with_reference("mira.png"))(d)


def _traversal(d: Path) -> None:
    _story(with_reference("../../../../../../etc/passwd"))(d)


def _absolute_outside(d: Path) -> None:
    outside = d.parent / "elsewhere"
    outside.mkdir()
    (outside / "mira.png").write_bytes(red_png())  # a valid image, just not in the folder
    _story(with_reference(str(outside / "mira.png")))(d)


def _symlink_outside(d: Path) -> None:
    outside = d.parent / "secret"
    outside.mkdir()
    (outside / "mira.png").write_bytes(red_png())
    os.symlink(outside / "mira.png", d / "mira.png")
    _story(with_reference("mira.png"))(d)


def _symlink_to_device(d: Path) -> None:
    os.symlink("/dev/zero", d / "mira.png")
    _story(with_reference("mira.png"))(d)


def _not_an_image(d: Path) -> None:
    (d / "mira.png").write_text("#!/bin/sh\necho this is not a picture\n")
    _story(with_reference("mira.png"))(d)


def _truncated_png(d: Path) -> None:
    (d / "mira.png").write_bytes(red_png()[:60])
    _story(with_reference("mira.png"))(d)


def _reference_is_folder(d: Path) -> None:
    (d / "mira.png").mkdir()
    _story(with_reference("mira.png"))(d)


def _newline_in_reference(d: Path) -> None:
    _story(with_reference("missing\\nerror: forged second line.png").replace("'", '"'))(d)


def _binary_story(d: Path) -> None:
    (d / "story.yaml").write_bytes(b"\xff\xfe\x00\x00" + os.urandom(256))


def _huge_story_file(d: Path) -> None:
    _story("title: x\nstory: " + "a" * (3 * 1024 * 1024) + "\n")(d)


CASES: dict[str, Callable[[Path], None]] = {
    "decompression bomb png": _bomb,
    "path traversal": _traversal,
    "absolute path outside the folder": _absolute_outside,
    "symlink outside the folder": _symlink_outside,
    "symlink to /dev/zero": _symlink_to_device,
    "shell script renamed .png": _not_an_image,
    "truncated png": _truncated_png,
    "reference is a folder": _reference_is_folder,
    "newline in a reference name": _newline_in_reference,
    "binary story file": _binary_story,
    "story file over 2 MB": _huge_story_file,
    "100k-char action": _story(f"title: x\nbeats: [{{shots: [{{action: {'x' * 100_000}}}]}}]\n"),
    "100k emoji title": _story("title: " + "\U0001f600" * 100_000 + f"\n{SHOT}"),
    "zero-width and RTL character names": _story(
        'title: x\ncharacters: [{name: "\u200b\u202eariM"}]\n' + SHOT
    ),
    "yaml billion laughs": _story(LAUGHS + "title: *i\n" + SHOT),
    "yaml laughs in the story text": _story(LAUGHS + "title: x\nstory: *i\n"),
    "unclosed yaml": _story("title: [unclosed\n"),
    "a list, not a mapping": _story("- title: x\n"),
    "wrong types": _story("title: 5\nbeats: {shots: yes}\nrender: {fps: fast}\n"),
    "unknown key": _story("title: x\ncharaters: []\n" + SHOT),
    "odd video size": _story("title: x\nstory: a b\nrender: {width: 321, height: 180}\n"),
    "python object tag": _story("title: !!python/object/apply:os.system ['true']\n"),
}


def run_bad(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    data = tmp_path / "data"
    result = storyreel("story", "run", *args, env=cli_env(data), cwd=tmp_path / "story", timeout=60)
    assert query(data, "SELECT count(*) FROM jobs") in ([], [(0,)]), "a job was written"
    return result.returncode, result.stdout, result.stderr


def assert_one_error_line(code: int, out: str, err: str) -> None:
    assert code != 0, out + err
    assert "Traceback" not in out + err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_story_ends_with_one_error_line(tmp_path: Path, case: str) -> None:
    (tmp_path / "story").mkdir()
    CASES[case](tmp_path / "story")
    code, out, err = run_bad(tmp_path, "story.yaml", "--out", "out")
    assert_one_error_line(code, out, err)
    assert not (tmp_path / "story" / "out").exists()


@pytest.mark.parametrize(
    "args",
    [["missing.yaml"], ["."], ["/dev/null"], ["story.yaml", "--out", "a-file"]],
    ids=["missing story", "story is a folder", "story is a device", "out is a file"],
)
def test_a_bad_path_option_ends_with_one_error_line(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "story").mkdir()
    _story("title: x\nstory: A girl waves.\n")(tmp_path / "story")
    (tmp_path / "story" / "a-file").write_text("keep me\n")
    code, out, err = run_bad(tmp_path, *args)
    assert_one_error_line(code, out, err)
    assert (tmp_path / "story" / "a-file").read_text() == "keep me\n"


@pytest.mark.parametrize("budget", ["abc", "NaN", "-Infinity", "-1", "$5"])
def test_a_bad_budget_is_refused_without_a_traceback(tmp_path: Path, budget: str) -> None:
    """Typer reports option errors as a usage box (exit code 2), not one line: that is the
    CLI's choice for every option, so only its exit code and the absence of a traceback
    and of any job are checked here."""
    (tmp_path / "story").mkdir()
    _story("title: x\nstory: A girl waves.\n")(tmp_path / "story")
    code, out, err = run_bad(tmp_path, "story.yaml", "--budget", budget)
    assert code == 2, out + err
    assert "Traceback" not in out + err and "budget" in err, err
