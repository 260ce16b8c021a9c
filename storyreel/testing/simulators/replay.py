"""Renders made once and served again as marked copies: simulators at almost no CPU.

A simulator renders every PNG and MP4 it returns, which is the provider's work. Where the
simulator runs on the machine under test (a benchmark on a two-core machine, a load test
of many workers), that work competes with what is measured: rendering fifteen clips at
once took a whole core for two seconds beside the engine. With ``SimConfig.reuse_renders``
a simulator renders one output per kind and shape and answers every later job with a
copy of it, so what is left is the provider's protocol, its latency and its files.

Each copy carries the job's id in a block that decoders skip (a PNG ``tEXt`` chunk, an
MP4 ``free`` box): the same pixels, but distinct bytes, so storyreel stores, hashes,
deduplicates and derives from every output as it would from a real provider's (identical
copies would be stored once and their derived parts encoded once, and a benchmark would
measure less work than a real story does).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from storyreel.media.mime import sniff_mime

_IEND_CHUNK_BYTES = 12
"""A PNG ends with its IEND chunk: length (0), type, CRC."""
_KEYWORD = b"storyreel-sim"


def marked_copy(source: Path, dest: Path, mark: str) -> None:
    """Write ``source`` to ``dest`` with ``mark`` in a block decoders skip.

    Raises ``ValueError`` for a file that is neither a PNG nor an MP4 (the only renders
    that are replayed)."""
    data = source.read_bytes()
    dest.write_bytes(with_mark(data, mark))


def with_mark(data: bytes, mark: str) -> bytes:
    """``data`` (a PNG or an MP4) with ``mark`` added where no decoder looks."""
    payload = mark.encode()
    kind = sniff_mime(data, "")
    if kind == "image/png":
        body = _KEYWORD + b"\0" + payload
        chunk = b"tEXt" + body
        crc = struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
        text = struct.pack(">I", len(body)) + chunk + crc
        return data[:-_IEND_CHUNK_BYTES] + text + data[-_IEND_CHUNK_BYTES:]
    if kind == "video/mp4":  # an ISO media file: boxes, and a trailing free box is skipped
        return data + struct.pack(">I", 8 + len(payload)) + b"free" + payload
    raise ValueError("only PNG and MP4 renders are copied with a mark")
