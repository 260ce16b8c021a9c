"""The playground form as the API's body: grouped pickers per kind, options only where the
model takes them, the alias when references change the task, bad values in words."""

from __future__ import annotations

import pytest

from storyreel.catalog import Catalog
from storyreel.errors import InputError
from storyreel.web.playground_form import PlaygroundForm, kinds_of, makes, model_groups

CATALOG = Catalog.builtin()


def test_modes_and_pickers() -> None:
    assert kinds_of("both") == ["image", "video"] and kinds_of("video") == ["video"]
    assert kinds_of("nonsense") == ["image"]
    groups = model_groups(CATALOG, "video")
    providers = [provider for provider, _ in groups]
    assert providers == sorted(providers) and len(set(providers)) == len(providers)
    for provider, models in groups:
        assert all(m.provider == provider and makes(m, "video") for m in models)
    assert not any(makes(m, "image") and not makes(m, "video") for _, ms in groups for m in ms)


def test_body_sets_only_what_the_model_takes() -> None:
    form = PlaygroundForm.parse(
        {
            "mode": "both",
            "image_model": "fal:fal-ai/gpt-image-1.5",
            "video_model": "gemini:veo-3.1-fast-generate-preview",
            "prompt": " a fox ",
            "image_size": "1536x1024",
            "image_count": "2",
            "video_duration": "8",
            "video_audio": "on",
            "seed": "7",
            "budget": "$2.50",
        }
    )
    image = form.body(CATALOG, "image")
    assert (image.prompt, image.width, image.height, image.count, image.seed) == (
        "a fox",
        1536,
        1024,
        2,
        7,
    )
    assert image.quality == "low" and str(image.budget_usd) == "2.50"
    video = form.body(CATALOG, "video")
    assert video.kind == "video" and video.duration == 8 and video.audio is True
    flux = PlaygroundForm.parse({"image_model": "fal:fal-ai/flux-2/turbo", "prompt": "x"})
    assert flux.body(CATALOG, "image").quality is None  # not a quality-priced model
    silent = PlaygroundForm.parse({"video_model": "fal:fal-ai/wan-i2v", "video_audio": "on"})
    assert silent.body(CATALOG, "video", prompt="p").audio is None


def test_a_reference_asks_for_the_alias() -> None:
    form = PlaygroundForm.parse({"image_model": "fal:fal-ai/flux-2-pro", "references": "1"})
    assert form.model_name(CATALOG, "image") == "flux-2-pro"
    alone = PlaygroundForm.parse({"image_model": "fal:fal-ai/flux-2-pro"})
    assert alone.model_name(CATALOG, "image") == "fal:fal-ai/flux-2-pro"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("seed", "abc", "seed must be a whole number"),
        ("image_size", "widexhigh", "width must be a whole number"),
        ("budget", "lots", "budget must be an amount"),
        ("image_count", "99", "count"),
    ],
)
def test_bad_values_in_words(field: str, value: str, words: str) -> None:
    form = PlaygroundForm.parse({"image_model": "sketch", "prompt": "x", field: value})
    with pytest.raises(InputError, match=words):
        form.body(CATALOG, "image")
