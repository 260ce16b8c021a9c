"""Media types: the one table of types storyreel stores, and the two ways to tell a file's
type when nobody says it: the URL's suffix (provider result links) and the first bytes
(base64 outputs a provider sends inline). Providers disagree on whether they report a
content type at all, so every adapter falls back to these instead of guessing its own."""

from __future__ import annotations

from urllib.parse import urlsplit

#: What storyreel stores, with the suffix its files get.
MIME_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}

#: The still-image types providers return and storyreel accepts as references.
IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/webp"})

_SUFFIX_MIMES = {suffix: mime for mime, suffix in MIME_EXTENSIONS.items()} | {
    ".jpeg": "image/jpeg",
    ".wave": "audio/wav",
}

#: The type a provider's output has when neither its URL nor its bytes say.
DEFAULT_MIMES = {"image": "image/png", "video": "video/mp4", "audio": "audio/mpeg"}


def default_mime(kind: str) -> str:
    """The usual type of an output of ``kind`` (image, video, audio)."""
    return DEFAULT_MIMES.get(kind, "application/octet-stream")


def suffix_for(mime: str, default: str = ".bin") -> str:
    """The file suffix for ``mime``; ``default`` for a type storyreel does not store."""
    return MIME_EXTENSIONS.get(mime, default)


def mime_from_url(url: str, default: str) -> str:
    """The type named by the suffix of the URL's path (query and fragment ignored, so a
    signed ``...png?X-Amz-Signature=...`` link reads as PNG); ``default`` otherwise."""
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    if dot == -1 or "/" in path[dot:]:
        return default
    return _SUFFIX_MIMES.get(path[dot:], default)


def sniff_mime(data: bytes, default: str) -> str:
    """The type from the file's magic bytes (PNG, JPEG, WebP, WAV, MP4, MP3);
    ``default`` when the bytes match none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return default
