"""Gatekeeping and small conversions for still images.

Uploaded images are untrusted bytes. Pillow can decode dozens of formats, several with a
history of parser bugs, so only the three formats we actually need are ever handed to a
decoder, and size limits are checked from the header before any pixels are decoded (a
tiny PNG can declare 50000x50000 pixels and exhaust memory when loaded).
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from storyreel.errors import InputError

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")

_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Pillow reports multi-picture JPEGs (phone cameras) as MPO; they are still JPEG files.
_FORMAT_ALIASES = {"MPO": "JPEG"}
# Everything a decoder may raise on hostile or damaged input.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
)
_THUMBNAIL_MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
# Fixed so that identical pixels always give identical PNG bytes.
_PNG_COMPRESS_LEVEL = 6


@dataclass(frozen=True)
class ImageInfo:
    """What an accepted image is, read from its header and a full decode."""

    format: str
    mime: str
    width: int
    height: int


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _open_header(data: bytes, *, name: str, max_pixels: int) -> Image.Image:
    """Open lazily (header only) with just the allowed decoders, and enforce the pixel cap."""
    try:
        with warnings.catch_warnings():
            # Pillow warns from ~89 MP; our own cap below is the policy, and the warning
            # would turn into an exception wherever warnings are errors.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise InputError(
            f"{name} is too large: it declares more pixels than Pillow's safety limit "
            f"(the limit here is {max_pixels:,} pixels)"
        ) from exc
    except UnidentifiedImageError as exc:
        raise InputError(
            f"{name} is not a supported image: only {', '.join(ALLOWED_FORMATS)} are accepted"
        ) from exc
    except _DECODE_ERRORS as exc:
        raise InputError(f"{name} is a corrupt image: {exc}") from exc
    width, height = img.size
    if width < 1 or height < 1:
        raise InputError(f"{name} declares an empty size {width}x{height}")
    if width * height > max_pixels:
        raise InputError(
            f"{name} is too large: {width}x{height} is {width * height:,} pixels, "
            f"the limit is {max_pixels:,}"
        )
    return img


def _load(data: bytes, *, max_bytes: int, max_pixels: int, name: str) -> Image.Image:
    """Run every refusal check, cheapest first, and return the decoded image."""
    if not data:
        raise InputError(f"{name} is empty (0 bytes)")
    if len(data) > max_bytes:
        raise InputError(
            f"{name} is too big: {_megabytes(len(data))}, the limit is {_megabytes(max_bytes)}"
        )
    img = _open_header(data, name=name, max_pixels=max_pixels)
    try:
        # verify() checks structure and checksums (PNG CRCs) but leaves the image unusable,
        # so a second open does the real decode, which catches truncated pixel data.
        img.verify()
        img = _open_header(data, name=name, max_pixels=max_pixels)
        img.load()
    except _DECODE_ERRORS as exc:
        raise InputError(f"{name} is a truncated or corrupt image: {exc}") from exc
    return img


def inspect_image(
    data: bytes,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    name: str = "image",
) -> ImageInfo:
    """Accept or refuse an uploaded image with one actionable message naming ``name``.

    Width and height are as stored in the file (before any EXIF rotation), because that is
    what the pixel budget and the decoder actually deal with.
    """
    img = _load(data, max_bytes=max_bytes, max_pixels=max_pixels, name=name)
    fmt = _FORMAT_ALIASES.get(str(img.format), str(img.format))
    return ImageInfo(format=fmt, mime=_MIME[fmt], width=img.width, height=img.height)


def decode_image(
    data: bytes,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    name: str = "image",
) -> Image.Image:
    """Validate ``data`` exactly like :func:`inspect_image` and return the pixels, upright.

    EXIF rotation is applied so every consumer sees the picture the way a viewer shows it.
    """
    img = _load(data, max_bytes=max_bytes, max_pixels=max_pixels, name=name)
    return ImageOps.exif_transpose(img)


def flatten_rgb(
    img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """Drop alpha by compositing on a solid colour; JPEG and H.264 have no transparency and
    simply discarding alpha would reveal whatever junk colour hides under clear pixels."""
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return img.convert("RGB")
    rgba = img.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, background)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def make_thumbnail(data: bytes, *, size: int = 150, quality: int = 60) -> bytes:
    """A small upright JPEG preview whose longest side is exactly ``size`` pixels.

    Small images are scaled up too, so previews line up in a grid without CSS tricks.
    """
    if size < 1:
        raise InputError(f"thumbnail size must be at least 1 pixel, got {size}")
    if not 1 <= quality <= 95:
        raise InputError(f"thumbnail quality must be from 1 to 95, got {quality}")
    # The bytes are already in memory, so only the decoded size matters here; Pillow's own
    # bomb threshold is the cap, letting callers thumbnail anything they chose to accept.
    source = decode_image(
        data, max_bytes=len(data), max_pixels=_THUMBNAIL_MAX_PIXELS, name="thumbnail source"
    )
    img = flatten_rgb(source)
    width, height = img.size
    longest = max(width, height)
    target = (
        max(1, round(width * size / longest)),
        max(1, round(height * size / longest)),
    )
    img = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def image_to_png(img: Image.Image) -> bytes:
    """Encode pixels only, so equal pixels always give equal bytes (content hashes, caches).

    The pixels are copied into a fresh image first: ``Image.info`` can carry an ICC profile,
    EXIF or text chunks from wherever the image came from, and the PNG writer would keep them.
    """
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    out = BytesIO()
    clean.save(out, format="PNG", compress_level=_PNG_COMPRESS_LEVEL, optimize=False)
    return out.getvalue()
