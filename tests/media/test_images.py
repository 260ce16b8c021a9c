from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image

from storyreel.errors import InputError
from storyreel.media.images import (
    ALLOWED_FORMATS,
    ImageInfo,
    decode_image,
    image_to_png,
    inspect_image,
    make_thumbnail,
)
from tests.media.helpers import encode, flat_png


def _chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def _png_header_only(width: int, height: int) -> bytes:
    """A well-formed PNG that declares a huge size but carries almost no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_accepts_allowed_formats(fmt: str, mime: str) -> None:
    data = encode(Image.new("RGB", (320, 180), (10, 120, 200)), fmt)
    assert inspect_image(data) == ImageInfo(format=fmt, mime=mime, width=320, height=180)


def test_allowed_formats() -> None:
    assert ALLOWED_FORMATS == ("PNG", "JPEG", "WEBP")


def test_refuses_empty() -> None:
    with pytest.raises(InputError, match=r"^cover is empty"):
        inspect_image(b"", name="cover")


def test_refuses_too_many_bytes() -> None:
    data = flat_png((64, 64))
    with pytest.raises(InputError, match=r"^cover is too big: .* the limit is"):
        inspect_image(data, max_bytes=len(data) - 1, name="cover")
    assert inspect_image(data, max_bytes=len(data), name="cover").width == 64


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO", "PPM"])
def test_refuses_other_image_formats(fmt: str) -> None:
    data = encode(Image.new("RGB", (32, 32), (1, 2, 3)), fmt)
    with pytest.raises(InputError, match=r"^upload\.x is not a supported image: only PNG, JPEG"):
        inspect_image(data, name="upload.x")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n",
        b"<!doctype html><html><body>hello</body></html>",
        b"\x00" * 64,
        b"GIF89a" + b"\x00" * 20,
    ],
)
def test_refuses_non_images_even_with_image_names(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^photo\.png is not a supported image"):
        inspect_image(data, name="photo.png")


def test_refuses_huge_declared_size_before_decoding() -> None:
    data = _png_header_only(50_000, 50_000)
    assert len(data) < 100
    with pytest.raises(InputError, match=r"^huge\.png is too large"):
        inspect_image(data, name="huge.png")


def test_pixel_limit_is_checked_from_the_header() -> None:
    """Above Pillow's own warning threshold, yet refused by our cap with exact numbers."""
    data = _png_header_only(10_000, 10_000)
    with pytest.raises(InputError, match=r"10000x10000 is 100,000,000 pixels, the limit is"):
        inspect_image(data, name="big.png")
    small = flat_png((100, 100))
    with pytest.raises(InputError, match=r"100x100 is 10,000 pixels, the limit is 5,000"):
        inspect_image(small, max_pixels=5000)


def test_refuses_truncated_png() -> None:
    data = encode(Image.effect_noise((256, 256), 64).convert("RGB"), "PNG")
    with pytest.raises(InputError, match=r"^scan\.png is a truncated or corrupt image"):
        inspect_image(data[: len(data) // 2], name="scan.png")


def test_refuses_truncated_jpeg() -> None:
    data = encode(Image.effect_noise((256, 256), 64).convert("RGB"), "JPEG", quality=90)
    with pytest.raises(InputError, match="truncated or corrupt"):
        inspect_image(data[: len(data) // 2], name="scan.jpg")


def test_refuses_corrupt_png_checksum() -> None:
    data = bytearray(flat_png((64, 64)))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    with pytest.raises(InputError, match="truncated or corrupt"):
        inspect_image(bytes(data))


def test_decode_image_applies_exif_orientation() -> None:
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    data = encode(img, "JPEG", exif=exif.tobytes())
    assert inspect_image(data).width == 40
    assert decode_image(data).size == (20, 40)


@pytest.mark.parametrize(("size", "expected"), [((640, 360), (150, 84)), ((90, 300), (45, 150))])
def test_thumbnail_is_jpeg_with_longest_side_150(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    thumb = make_thumbnail(flat_png(size))
    img = Image.open(BytesIO(thumb))
    assert img.format == "JPEG"
    assert img.mode == "RGB"
    assert img.size == expected


def test_thumbnail_flattens_alpha_on_white_and_respects_exif() -> None:
    clear = encode(Image.new("RGBA", (300, 100), (0, 0, 0, 0)))
    img = Image.open(BytesIO(make_thumbnail(clear, size=60)))
    assert img.size == (60, 20)
    assert min(img.getpixel((30, 10))) > 245  # type: ignore[arg-type]

    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = encode(Image.new("RGB", (300, 100), (0, 0, 255)), "JPEG", exif=exif.tobytes())
    assert Image.open(BytesIO(make_thumbnail(rotated))).size == (50, 150)


def test_thumbnail_refuses_bad_input() -> None:
    with pytest.raises(InputError):
        make_thumbnail(b"<html></html>")


def test_image_to_png_is_deterministic_and_strips_metadata() -> None:
    base = Image.effect_noise((64, 48), 40).convert("RGB")
    first = image_to_png(base)
    dressed = base.copy()
    dressed.info["icc_profile"] = b"\x00" * 128
    dressed.info["dpi"] = (300, 300)
    assert image_to_png(dressed) == first
    assert image_to_png(Image.open(BytesIO(first))) == first
    reread = Image.open(BytesIO(first))
    assert reread.format == "PNG"
    assert set(reread.info) <= {"dpi"} and "icc_profile" not in reread.info
    assert list(reread.convert("RGB").getdata()) == list(base.getdata())


def test_image_to_png_keeps_alpha_and_palette_transparency() -> None:
    rgba = Image.new("RGBA", (8, 8), (10, 20, 30, 40))
    assert Image.open(BytesIO(image_to_png(rgba))).getpixel((0, 0)) == (10, 20, 30, 40)
    pal = Image.new("P", (8, 8), 1)
    pal.putpalette([0, 0, 0, 255, 0, 0])
    pal.info["transparency"] = 1
    assert Image.open(BytesIO(image_to_png(pal))).mode == "RGBA"
