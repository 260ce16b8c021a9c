"""Every price a seed names, reproduced exactly from the shipped catalog data.

The tables below are copied from the seeds (000 ModelsLab research, 002 CanvasToon specs,
003 image API specs, 004 i2v README); a data edit that changes any of them fails here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from storyreel.catalog import Catalog, ModelEntry, PriceInputs, SubscriptionRule
from storyreel.catalog.files import builtin_model_files
from storyreel.vocabulary import GenerationRequest, Task

D = Decimal


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.builtin()


def price(catalog: Catalog, name: str, **fields: Any) -> Decimal:
    entry = catalog.resolve(name)
    fields.setdefault("task", entry.tasks[0])
    req = GenerationRequest(model=entry.id, **fields)
    catalog.validate_request(req)  # every seed request is one the model accepts
    return catalog.estimate(req)


def video(
    duration: float, resolution: str | None = None, audio: bool | None = None
) -> dict[str, Any]:
    return {"duration": duration, "resolution": resolution, "audio": audio}


SEED_004_VIDEO = [
    # model, duration, resolution, audio, usd  (seed 004 "Video Models & Pricing")
    ("wan", 5, "480p", None, "0.25"),
    ("wan", 10, "480p", None, "0.50"),
    ("wan", 5, "720p", None, "0.50"),
    ("wan", 10, "720p", None, "1.00"),
    ("wan", 5, "1080p", None, "0.75"),
    ("wan", 10, "1080p", None, "1.50"),
    ("wan21", 5, "480p", None, "0.20"),
    ("wan21", 10, "480p", None, "0.20"),
    ("wan21", 5, "720p", None, "0.40"),
    ("wan21", 10, "720p", None, "0.40"),
    ("wan22", 5, "480p", None, "0.20"),
    ("wan22", 10, "480p", None, "0.40"),
    ("wan22", 5, "580p", None, "0.30"),
    ("wan22", 10, "580p", None, "0.60"),
    ("wan22", 5, "720p", None, "0.40"),
    ("wan22", 10, "720p", None, "0.80"),
    ("wan-pro", 5, "1080p", None, "0.80"),
    ("wan-pro", 10, "1080p", None, "1.60"),
    ("kling", 5, None, None, "0.35"),
    ("kling", 10, None, None, "0.70"),
    ("kling-master", 5, None, None, "1.40"),
    ("kling-master", 10, None, None, "2.80"),
    ("kling-standard", 5, None, None, "0.25"),
    ("kling-standard", 10, None, None, "0.50"),
    ("veo2", 8, None, False, "4.00"),
    ("veo31-fast", 6, None, False, "0.60"),
    ("veo31-fast", 8, None, False, "0.80"),
    ("veo31-fast", 6, None, True, "0.90"),
    ("veo31-fast", 8, None, True, "1.20"),
    ("veo31", 6, None, False, "1.20"),
    ("veo31", 8, None, False, "1.60"),
    ("veo31", 6, None, True, "2.40"),
    ("veo31", 8, None, True, "3.20"),
    ("veo31-flf", 6, None, False, "1.20"),
    ("veo31-flf", 8, None, False, "1.60"),
    ("veo31-fast-flf", 6, None, False, "0.60"),
    ("veo31-fast-flf", 8, None, False, "0.80"),
    ("sora-2", 4, "720p", None, "0.40"),
    ("sora-2", 8, "720p", None, "0.80"),
    ("sora-2", 12, "720p", None, "1.20"),
    ("sora-2-pro", 4, "720p", None, "1.20"),
    ("sora-2-pro", 8, "720p", None, "2.40"),
    ("sora-2-pro", 12, "720p", None, "3.60"),
    ("sora-2-pro", 4, "1080p", None, "2.00"),
    ("sora-2-pro", 8, "1080p", None, "4.00"),
    ("sora-2-pro", 12, "1080p", None, "6.00"),
]


@pytest.mark.parametrize(("name", "seconds", "resolution", "audio", "usd"), SEED_004_VIDEO)
def test_seed_004_video_price_tables(
    catalog: Catalog, name: str, seconds: int, resolution: str | None, audio: bool | None, usd: str
) -> None:
    assert price(catalog, name, **video(seconds, resolution, audio)) == D(usd)


@pytest.mark.parametrize(
    ("name", "fields", "usd"),
    [
        # seed 004 "Video Cost Comparison (5s, cheapest option)"
        ("wan22", video(5, "480p"), "0.20"),
        ("wan21", video(5, "480p"), "0.20"),
        ("kling-standard", video(5), "0.25"),
        ("wan", video(5, "480p"), "0.25"),
        ("kling", video(5), "0.35"),
        ("sora-2", video(4, "720p"), "0.40"),
        ("veo31-fast", video(6, audio=False), "0.60"),
        ("wan-pro", video(5, "1080p"), "0.80"),
        ("kling-master", video(5), "1.40"),
    ],
)
def test_seed_004_cheapest_5s_ranking(
    catalog: Catalog, name: str, fields: dict[str, Any], usd: str
) -> None:
    assert price(catalog, name, **fields) == D(usd)


def test_seed_004_veo_audio_defaults_on_like_fal(catalog: Catalog) -> None:
    assert price(catalog, "veo31", duration=8) == D("3.20")
    assert price(catalog, "veo31-fast") == D("1.20")  # 8 s and audio are fal's defaults


@pytest.mark.parametrize(
    ("name", "fields", "usd"),
    [
        # seed 004 "Image Models & Pricing"
        ("gpt-image-1.5", {"extra": {"quality": "low"}}, "0.009"),
        ("gpt-image-1.5", {"extra": {"quality": "medium"}}, "0.034"),
        ("gpt-image-1.5", {"extra": {"quality": "high"}}, "0.133"),
        ("gpt-image-1.5", {}, "0.133"),  # default quality: high
        ("gpt-image-1.5", {"aspect": "9:16"}, "0.20"),  # the seed's $0.20 top: portrait high
        ("gpt-image-1.5", {"width": 1024, "height": 1536, "extra": {"quality": "low"}}, "0.013"),
        ("gpt-image-1.5", {"count": 4, "extra": {"quality": "low"}}, "0.036"),
        ("kling-image", {}, "0.028"),
        ("nano-banana", {}, "0.039"),
        ("nano-banana-pro", {}, "0.15"),
        ("nano-banana-pro", {"count": 2}, "0.30"),
        # seed 003
        ("flux-2-pro", {"width": 1024, "height": 1024}, "0.03"),
        ("flux-2-pro", {"width": 1920, "height": 1080}, "0.045"),
        ("flux-2-pro", {}, "0.03"),
        ("flux-general", {"width": 1024, "height": 1024}, "0.075"),
        ("flux-2-turbo", {}, "0.008"),
        ("flux-schnell", {}, "0.003"),
        ("flux-dev", {}, "0.03"),
        ("flux-1.1-pro", {}, "0.04"),
        # seed 002
        ("hailuo-2.3-fast", {"duration": 10}, "0.34"),
        ("seedance-1-pro-fast", {"duration": 10, "width": 720, "height": 1280}, "0.60"),
        ("replicate:google/veo-3.1-fast", {"duration": 8}, "1.20"),
        ("gpt-4o", {"extra": {"input_tokens": 1_000_000, "output_tokens": 0}}, "5.00"),
        ("gpt-4o", {"extra": {"input_tokens": 0, "output_tokens": 1_000_000}}, "15.00"),
        ("aimlapi:google/nano-banana-pro", {}, "0.06"),  # midpoint of $0.04-$0.08
        # seed 000
        ("seedream-4.5-edit", {}, "0.03"),  # Kie ~$0.03/image
        ("kie:bytedance/seedance-1.5-pro", {}, "0.20"),  # Kie $0.15-0.25 midpoint
        ("wavespeed:bytedance/seedance-v1.5-pro/image-to-video", {}, "0.20"),  # $0.10-0.30
        ("seedream-4.5", {"count": 4}, "0.16"),  # WaveSpeed $0.04 x max_images
        ("gemini:gemini-3-pro-image-preview", {"resolution": "4K"}, "0.24"),
        ("gemini:gemini-3-pro-image-preview", {}, "0.134"),
        ("gemini:gemini-2.5-flash-image", {}, "0.025"),  # standard $0.02-0.03 midpoint
        ("seedance-1.5-pro", {}, "0"),  # ModelsLab: covered by the plan
        # built in
        ("sketch", {}, "0"),
        ("motion", {}, "0"),
    ],
)
def test_seed_prices(catalog: Catalog, name: str, fields: dict[str, Any], usd: str) -> None:
    assert price(catalog, name, **fields) == D(usd)


def test_seed_002_estimates_that_are_bounds(catalog: Catalog) -> None:
    z_image = price(catalog, "z-image-turbo")
    assert D(0) < z_image < D("0.001")  # "< $0.001 (negligible)"
    assert price(catalog, "lama").quantize(D("0.001")) == D("0.002")  # "~$0.002"
    assert D("0.04") <= price(catalog, "aimlapi:google/nano-banana-pro") <= D("0.08")


def test_modelslab_is_the_199_dollar_unlimited_plan(catalog: Catalog) -> None:
    entries = [m for m in catalog.models() if m.provider == "modelslab"]
    assert entries
    for entry in entries:
        assert isinstance(entry.price, SubscriptionRule)
        assert entry.price.monthly_usd == D(199)
        assert entry.price.included == "unlimited"
        assert entry.price.concurrency == 15


SEED_ALIASES = {
    # seed 004 short names, all fal
    "kling": "fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
    "kling-master": "fal:fal-ai/kling-video/v2.1/master/image-to-video",
    "kling-standard": "fal:fal-ai/kling-video/v2.1/standard/image-to-video",
    "wan": "fal:fal-ai/wan-25-preview/image-to-video",
    "wan21": "fal:fal-ai/wan-i2v",
    "wan22": "fal:fal-ai/wan/v2.2-a14b/image-to-video/turbo",
    "wan-pro": "fal:fal-ai/wan-pro/image-to-video",
    "veo2": "fal:fal-ai/veo2/image-to-video",
    "veo31": "fal:fal-ai/veo3.1/image-to-video",
    "veo31-fast": "fal:fal-ai/veo3.1/fast/image-to-video",
    "veo31-flf": "fal:fal-ai/veo3.1/first-last-frame-to-video",
    "veo31-fast-flf": "fal:fal-ai/veo3.1/fast/first-last-frame-to-video",
    "sora-2": "fal:fal-ai/sora-2/image-to-video",
    "sora-2-pro": "fal:fal-ai/sora-2/image-to-video/pro",
    "gpt-image-1.5": "fal:fal-ai/gpt-image-1.5/edit",
    "kling-image": "fal:fal-ai/kling-image/o1",
    "nano-banana": "fal:fal-ai/nano-banana/edit",
    "nano-banana-pro": "fal:fal-ai/nano-banana-pro/edit",
    # seed 003
    "flux-general": "fal:fal-ai/flux-general/image-to-image",
    "flux-2-pro": "fal:fal-ai/flux-2-pro/edit",
    "flux-2-turbo": "fal:fal-ai/flux-2/turbo",
    "flux-schnell": "replicate:black-forest-labs/flux-schnell",
    "flux-dev": "replicate:black-forest-labs/flux-dev",
    "flux-1.1-pro": "replicate:black-forest-labs/flux-1.1-pro",
    # seed 002
    "z-image-turbo": "replicate:prunaai/z-image-turbo",
    "lama": "replicate:allenhooo/lama",
    "hailuo-2.3-fast": "replicate:minimax/hailuo-2.3-fast",
    "seedance-1-pro-fast": "replicate:bytedance/seedance-1-pro-fast",
    "gpt-4o": "aimlapi:gpt-4o",
    # seed 000
    "seedream-4.5": "wavespeed:bytedance/seedream-v4.5/sequential",
    "seedance-1.5-pro": "modelslab:seedance-1.5-pro",
    # built in
    "sketch": "sketch:previz",
    "motion": "motion:kenburns",
}


@pytest.mark.parametrize(("alias", "model_id"), SEED_ALIASES.items())
def test_seed_aliases_resolve_to_their_default_provider(
    catalog: Catalog, alias: str, model_id: str
) -> None:
    assert catalog.resolve(alias).id == model_id


SEED_MODEL_IDS = [
    "replicate:google/veo-3.1-fast",
    "aimlapi:google/nano-banana-pro",
    "aimlapi:minimax/hailuo-2.3-fast",
    "openai:gpt-image-1.5",
    "openai:sora-2",
    "openai:sora-2-pro",
    "gemini:gemini-3-pro-image-preview",
    "gemini:gemini-2.5-flash-image",
    "gemini:veo-3.1-generate-preview",
    "gemini:veo-3.1-fast-generate-preview",
    "wavespeed:bytedance/seedream-v4.5/sequential",
    "wavespeed:bytedance/seedream-v4.5/edit-sequential",
    "kie:seedream/4.5-edit",
    "kie:bytedance/seedance-1.5-pro",
    "modelslab:seedance-1.5-pro",
    "modelslab:flux",
    "modelslab:sdxl",
    "modelslab:realistic-vision",
    "modelslab:anything-v5",
]


@pytest.mark.parametrize("model_id", SEED_MODEL_IDS)
def test_models_named_by_seeds_and_references_are_there(catalog: Catalog, model_id: str) -> None:
    assert catalog.resolve(model_id).id == model_id


def test_one_file_per_provider() -> None:
    names = {f.name for f in builtin_model_files()}
    assert names == {
        f"{p}.toml"
        for p in (
            "fal",
            "replicate",
            "modelslab",
            "aimlapi",
            "openai",
            "gemini",
            "wavespeed",
            "kie",
            "local",
        )
    }


def test_every_entry_is_dated_and_priceable_with_its_defaults(catalog: Catalog) -> None:
    for entry in catalog.models():
        assert re.search(r"\b20\d\d\b|built in", entry.price_source), entry.id
        req = GenerationRequest(task=entry.tasks[0], model=entry.id)
        catalog.validate_request(req)
        assert catalog.estimate(req) >= 0, entry.id


def test_midpoints_are_said_so(catalog: Catalog) -> None:
    for model_id in (
        "aimlapi:google/nano-banana-pro",
        "kie:bytedance/seedance-1.5-pro",
        "wavespeed:bytedance/seedance-v1.5-pro/image-to-video",
        "gemini:gemini-2.5-flash-image",
    ):
        assert "midpoint" in catalog.resolve(model_id).notes.lower(), model_id


def test_video_entries_have_a_video_task_and_a_default_duration(catalog: Catalog) -> None:
    for entry in catalog.models():
        if entry.output_kind == "video":
            assert entry.default_duration is not None, entry.id
            assert all(t.output_kind == "video" for t in entry.tasks), entry.id


def test_price_rules_summarise(catalog: Catalog) -> None:
    summaries = {m.id: m.price.summary() for m in catalog.models()}
    assert summaries["fal:fal-ai/flux-2-pro/edit"] == "$0.03 first MP + $0.015/extra MP"
    assert summaries["fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video"] == (
        "$0.35 first 5 s + $0.07/extra s"
    )
    assert "audio" in summaries["fal:fal-ai/veo3.1/image-to-video"]
    assert summaries["sketch:previz"] == "free"


def test_entry_helpers(catalog: Catalog) -> None:
    entry: ModelEntry = catalog.resolve("gpt-image-1.5")
    assert entry.provider == "fal"
    assert entry.model_name == "fal-ai/gpt-image-1.5/edit"
    assert entry.qualities == ["low", "medium", "high"]
    assert entry.default_quality == "high"
    assert entry.price.cost(PriceInputs(quality="low")) == D("0.009")
    assert Task.IMAGE_TO_IMAGE in entry.tasks
