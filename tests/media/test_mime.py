"""Telling a provider output's media type from its URL or its first bytes: the one rule
every adapter falls back to when the provider does not say."""

from __future__ import annotations

import pytest

from storyreel.media.mime import default_mime, mime_from_url, sniff_mime, suffix_for


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://replicate.delivery/a/out-0.webp?x=1", "image/webp"),
        ("https://replicate.delivery/a/out.JPG", "image/jpeg"),
        ("https://cdn.example/x.jpeg#frag", "image/jpeg"),
        ("https://cdn.example/clip.mp4?X-Amz-Signature=abc.png", "video/mp4"),
        ("https://cdn.example/voice.wav", "audio/wav"),
        ("https://cdn.example/voice.mp3", "audio/mpeg"),
        ("https://cdn.example/v1.2/output", "fallback/x"),
        ("https://cdn.example/output", "fallback/x"),
        ("https://cdn.example/archive.tar.gz", "fallback/x"),
        ("not a url at all", "fallback/x"),
    ],
)
def test_mime_from_url_reads_only_the_path_suffix(url: str, expected: str) -> None:
    assert mime_from_url(url, "fallback/x") == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 8, "image/jpeg"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
        (b"\0\0\0\x18ftypisom", "video/mp4"),
        (b"ID3\x04\0\0\0\0", "audio/mpeg"),
        (b"\xff\xfb\x90\x00", "audio/mpeg"),
        (b"<html>", "fallback/x"),
        (b"", "fallback/x"),
        (b"RIFF", "fallback/x"),
    ],
)
def test_sniff_mime_reads_magic_bytes(data: bytes, expected: str) -> None:
    assert sniff_mime(data, "fallback/x") == expected


def test_defaults_and_suffixes() -> None:
    assert default_mime("video") == "video/mp4"
    assert default_mime("hologram") == "application/octet-stream"
    assert suffix_for("image/jpeg") == ".jpg"
    assert suffix_for("application/x-unknown") == ".bin"
    assert suffix_for("application/x-unknown", ".png") == ".png"
