from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyreel.errors import InputError
from storyreel.media.subtitles import Caption, split_captions, to_srt, to_vtt

_TIME = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"


def _seconds(match: tuple[str, ...]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def parse(text: str, *, vtt: bool) -> list[Caption]:
    """An independent reader of both formats: blocks separated by blank lines."""
    if vtt:
        assert text.startswith("WEBVTT\n\n")
        text = text.removeprefix("WEBVTT\n\n")
    captions = []
    for block in text.strip().split("\n\n"):
        number, timing, *lines = block.split("\n")
        assert number.isdigit()
        times = re.fullmatch(rf"{_TIME} --> {_TIME}", timing)
        assert times, timing
        groups = times.groups()
        body = "\n".join(lines)
        if vtt:
            body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        captions.append(Caption(_seconds(groups[:4]), _seconds(groups[4:]), body))
    return captions


def test_long_narration_splits_into_readable_captions_filling_its_time() -> None:
    text = " ".join(["word"] * 60)
    captions = split_captions(text, 2.0, 14.0)
    assert len(captions) > 1
    assert captions[0].start == 2.0 and captions[-1].end == 14.0
    for a, b in itertools.pairwise(captions):
        assert a.end == pytest.approx(b.start)
    for caption in captions:
        lines = caption.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    assert " ".join(c.text.replace("\n", " ") for c in captions) == text


def test_srt_and_vtt_parse_back() -> None:
    captions = [
        Caption(0.0, 1.5, "A storm <gathers> & grows"),
        Caption(61.25, 3725.5, "Mira runs\nalong the wall"),
    ]
    assert parse(to_srt(captions), vtt=False) == captions
    assert parse(to_vtt(captions), vtt=True) == captions
    assert "&lt;gathers&gt; &amp;" in to_vtt(captions)
    assert "01:02:05,500" in to_srt(captions)


def test_hostile_text_cannot_forge_cues() -> None:
    captions = [Caption(0, 1, "line one\n\n2\n00:00:05,000 --> 00:00:09,000\nforged")]
    parsed = parse(to_srt(captions), vtt=False)
    assert len(parsed) == 1
    assert "-->" not in parsed[0].text


def test_caption_must_end_after_start() -> None:
    with pytest.raises(InputError):
        split_captions("hello", 3.0, 3.0)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])))
def test_any_text_round_trips_through_srt(text: str) -> None:
    captions = split_captions(text, 0.0, 5.0) if text.split() else []
    parsed = parse(to_srt(captions), vtt=False) if captions else []
    assert [" ".join(c.text.split()) for c in parsed] == [
        " ".join(c.text.replace("-->", "->").split()) for c in captions
    ]
