"""Subtitles of the narration: timed captions, written as SRT and WebVTT.

A narration line can run for several seconds; a caption a viewer can read is at most two
lines of about 42 characters (the common broadcast rule). A long line is therefore cut at
word boundaries into captions that share the line's time in proportion to their length,
the way a voice spends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storyreel.errors import InputError

LINE_CHARS = 42
MAX_LINES = 2


@dataclass(frozen=True)
class Caption:
    start: float
    end: float
    text: str
    """One or two lines joined by ``\\n``."""


def _lines(words: list[str], width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def split_captions(
    text: str, start: float, end: float, *, width: int = LINE_CHARS, max_lines: int = MAX_LINES
) -> list[Caption]:
    """``text`` spoken from ``start`` to ``end`` as readable captions in order."""
    if end <= start:
        raise InputError(f"a caption must end after it starts ({start:.3f} >= {end:.3f})")
    lines = _lines(text.split(), width)
    if not lines:
        return []
    groups = ["\n".join(lines[i : i + max_lines]) for i in range(0, len(lines), max_lines)]
    weights = [max(1, len(g)) for g in groups]
    total = sum(weights)
    captions: list[Caption] = []
    cursor = start
    for group, weight in zip(groups, weights, strict=True):
        stop = end if group is groups[-1] else cursor + (end - start) * weight / total
        captions.append(Caption(round(cursor, 3), round(stop, 3), group))
        cursor = stop
    return captions


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _clean(text: str) -> str:
    # A blank line ends a cue in both formats, and "-->" would read as a timing line.
    lines = [line.strip().replace("-->", "->") for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def to_srt(captions: Sequence[Caption]) -> str:
    blocks = [
        f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_clean(c.text)}\n"
        for n, c in enumerate(captions, 1)
    ]
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(captions: Sequence[Caption]) -> str:
    """WebVTT: like SRT with a header and dots before the milliseconds; ``<`` and ``&``
    start markup there, so they are escaped."""
    blocks = [
        f"{n}\n{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{_vtt_escape(_clean(c.text))}\n"
        for n, c in enumerate(captions, 1)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)
