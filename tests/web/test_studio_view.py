"""The story page's view of a finished run's manifest (``web/studio_view.py``): the
exports in a fixed order with their URLs, and captions that cannot break out of a cue."""

from __future__ import annotations

from typing import Any

from storyreel.web.studio_view import captions, export_links, sheets

BASE = "/api/v1/stories/abc/outputs"
MANIFEST: dict[str, Any] = {
    "video": {"file": "story.mp4", "duration": 4.0},
    "storyboard_pdf": {"file": "storyboard.pdf"},
    "webtoon": [{"file": "webtoon/part_01.png"}, {"file": "webtoon/part_02.png"}],
    "contact_sheet": {"file": "contact_sheet.png"},
    "subtitles": None,
    "characters": [{"name": "Mira", "source": "sheet", "file": "characters/01-mira.png"}],
    "shots": [
        {"number": 1, "duration": 3.0, "action": "Mira runs --> <b>home</b> & back"},
        {"number": 2, "duration": 1.0, "action": "ignored", "narration": "The end."},
    ],
}


def test_exports_are_listed_most_wanted_first_with_their_urls() -> None:
    links = export_links(MANIFEST, BASE)
    assert [link["file"] for link in links] == [
        "story.mp4",
        "storyboard.pdf",
        "webtoon/part_01.png",
        "webtoon/part_02.png",
        "contact_sheet.png",
        "manifest.json",
    ]
    assert links[2]["label"] == "Webtoon strip, part 1 of 2"
    assert links[0]["url"] == f"{BASE}/story.mp4"


def test_sheets_link_each_character_as_the_run_used_it() -> None:
    assert sheets(MANIFEST, BASE) == [
        {"name": "Mira", "source": "sheet", "url": f"{BASE}/characters/01-mira.png"}
    ]
    assert sheets({}, BASE) == []


def test_captions_follow_the_shots_and_escape_their_text() -> None:
    vtt = captions(MANIFEST)
    assert vtt.startswith("WEBVTT\n")
    assert "00:00:00.000 --> 00:00:03.000\nMira runs → &lt;b&gt;home&lt;/b&gt; &amp; back" in vtt
    assert "00:00:03.000 --> 00:00:04.000\nThe end." in vtt, "narration wins over the action"
    assert vtt.count("-->") == 2
