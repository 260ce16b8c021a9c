"""A job as the Jobs page shows it: the badge's size and duration from the request and the
catalog's defaults, the phase in the page's words, ages, prompts cut at a word."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyreel.catalog import Catalog
from storyreel.web.jobrows import _phase, age, shorten, size_and_duration


def test_size_and_duration_from_the_request_and_the_catalogs_defaults() -> None:
    catalog = Catalog.builtin()
    image = {"task": "text-to-image", "model": "fal:fal-ai/flux-2/turbo", "prompt": "p"}
    assert size_and_duration(catalog, image) == ("1024\u00d71024", None)
    sized = image | {"width": 768, "height": 512}
    assert size_and_duration(catalog, sized) == ("768\u00d7512", None)
    video = {
        "task": "image-to-video",
        "model": "fal:fal-ai/kling-video/v2.1/standard/image-to-video",
        "duration": 5,
    }
    size, duration = size_and_duration(catalog, video)
    assert duration == "5 s" and size
    assert size_and_duration(catalog, {"task": "text-to-image", "model": "x:unknown"}) == (
        None,
        None,
    )


def test_phase_words_and_ages() -> None:
    assert _phase("running", "running 40%") == "generating 40%"
    assert _phase("running", "downloading") == "downloading"
    assert _phase("queued", "queued") == "queued"
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert age(now - timedelta(seconds=5), now) == "5 s ago"
    assert age(now - timedelta(minutes=3, seconds=5), now) == "3 min ago"
    assert age((now - timedelta(days=2)).replace(tzinfo=None), now) == "2 d ago"


def test_a_long_prompt_is_cut_at_a_word() -> None:
    assert shorten("a  short\nprompt") == "a short prompt"
    cut = shorten("word " * 100, limit=23)
    assert cut == "word word word word…" and len(cut) <= 23
