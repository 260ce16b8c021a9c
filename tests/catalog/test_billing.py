"""What a job costs, before and after: the estimate is the catalog price, a refused submit
costs nothing, the provider's own meter wins, a failure costs only what was metered, a
fixed-duration model bills the length asked for while a free-length one bills what it
made, and a model the catalog does not know is unpriced (None), never guessed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from storyreel.catalog import Catalog, billing
from storyreel.providers.types import Usage
from storyreel.vocabulary import GenerationRequest, Task

CATALOG = Catalog.builtin()
KLING = "fal:fal-ai/kling-video/v2.1/master/image-to-video"  # $1.40 first 5 s, 5 or 10 s
FLUX = "fal:fal-ai/flux-2-pro"  # $0.03 first MP + $0.015/extra MP


def req(task: Task, model: str, **fields: Any) -> GenerationRequest:
    return GenerationRequest(task=task, model=model, prompt="x", **fields)


def cost(request: GenerationRequest, usage: Usage | None = None, **kw: bool) -> Decimal | None:
    flags = {"accepted": True, "succeeded": True} | kw
    return billing.final_cost(CATALOG, request, usage=usage, **flags)


def test_the_estimate_is_the_catalog_price() -> None:
    flux = req(Task.TEXT_TO_IMAGE, FLUX, width=1920, height=1080)
    assert billing.estimate(CATALOG, flux) == Decimal("0.045")
    assert cost(flux) == Decimal("0.045")  # succeeded, nothing reported: what was asked


def test_an_unknown_model_is_unpriced_but_a_refused_submit_is_free() -> None:
    unknown = req(Task.TEXT_TO_IMAGE, "nobody:model")
    assert billing.estimate(CATALOG, unknown) is None
    assert cost(unknown) is None
    assert cost(unknown, accepted=False, succeeded=False) == 0
    assert cost(req(Task.TEXT_TO_IMAGE, FLUX), accepted=False, succeeded=False) == 0


def test_the_providers_own_charge_wins_quantized() -> None:
    flux = req(Task.TEXT_TO_IMAGE, FLUX, width=1920, height=1080)
    assert cost(flux, Usage(cost_usd=Decimal("0.1234567"))) == Decimal("0.123457")
    assert cost(flux, Usage(cost_usd=Decimal("0.5")), succeeded=False) == Decimal("0.5")


def test_gpu_seconds_and_tokens_are_metered() -> None:
    lama = req(Task.INPAINT, "replicate:allenhooo/lama")
    # Replicate bills a failed prediction's predict_time: $0.000575/s on an a40-small.
    assert cost(lama, Usage(gpu_seconds=10), succeeded=False) == Decimal("0.00575")
    chat = req(Task.CHAT, "aimlapi:gpt-4o")  # $5 in / $15 out per 1M tokens
    assert cost(chat, Usage(input_tokens=1000, output_tokens=2000)) == Decimal("0.035")
    assert cost(chat, Usage(output_tokens=1000)) == Decimal("0.015")


def test_a_failure_with_nothing_metered_costs_nothing() -> None:
    flux = req(Task.TEXT_TO_IMAGE, FLUX)
    assert cost(flux, succeeded=False) == 0
    assert cost(flux, Usage(seconds=3.0), succeeded=False) == 0  # seconds are not a meter here


def test_a_fixed_duration_model_bills_the_length_asked_for() -> None:
    kling = req(Task.IMAGE_TO_VIDEO, KLING, duration=5)
    assert cost(kling, Usage(seconds=5.04)) == Decimal("1.40")
    wan = req(Task.IMAGE_TO_VIDEO, "fal:fal-ai/wan-i2v", duration=5, resolution="480p")
    assert cost(wan, Usage(seconds=5.04)) == Decimal("0.20")


def test_a_free_length_model_bills_what_it_made() -> None:
    voice = req(Task.SPEECH, "openai:gpt-4o-mini-tts")  # $0.00025/s of audio
    assert cost(voice, Usage(seconds=10)) == Decimal("0.0025")


@pytest.mark.parametrize(
    ("request_", "usage", "expected"),
    [
        (
            req(Task.TEXT_TO_IMAGE, "fal:fal-ai/gpt-image-1.5", extra={"quality": "low"}),
            Usage(count=2),
            Decimal("0.018"),
        ),
        (
            req(Task.TEXT_TO_IMAGE, FLUX, width=1920, height=1080),
            Usage(width=1024, height=1024),
            Decimal("0.03"),
        ),
    ],
)
def test_the_count_and_size_produced_replace_the_asked_ones(
    request_: GenerationRequest, usage: Usage, expected: Decimal
) -> None:
    assert cost(request_, usage) == expected
