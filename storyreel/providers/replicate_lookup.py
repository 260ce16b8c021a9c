"""Replicate: finding a prediction whose create answer was lost (``find_submitted``).

Replicate keeps every prediction of the account, newest first, behind
``GET /v1/predictions?created_after=<ISO>`` (100 a page, ``next`` an absolute URL) [C:
replicate-python-beta ``predictions.list``, reference B4]. Each entry carries ``model``,
``version``, ``input`` (until data removal, about an hour) and ``created_at`` [C]. Ours
is the earliest entry since the attempt started with our model and exactly the input we
build again now; an entry whose ``webhook`` (not in the SDK types, used only if present
[I]) names another storyreel job is never taken, and one naming ours is taken even if the
input no longer compares equal (a reference re-uploaded under a new URL).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx2

from storyreel.providers import lookup
from storyreel.providers.replicate_models import model_for, split_ref
from storyreel.providers.replicate_predictions import early_outcome
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest

if TYPE_CHECKING:
    from storyreel.providers.replicate import ReplicateProvider


async def find_prediction(
    provider: ReplicateProvider, req: GenerationRequest, *, job_id: str, since: float
) -> Handle | None:
    ref, version = split_ref(req.model_name)
    model = model_for(ref)
    version = version or (model.version if model else None)
    inputs = await provider.build_input(req, model)
    start = lookup.window_start(since)
    candidates: list[tuple[float, dict[str, Any]]] = []
    async for prediction in _predictions(provider, start):
        created = lookup.parse_time(prediction.get("created_at"))
        if created is None or created < start or prediction.get("model") != ref:
            continue
        if version and prediction.get("version") not in (version, "hidden"):
            continue
        webhook = prediction.get("webhook")
        if lookup.webhook_job(webhook, provider.name) == job_id:
            candidates = [(float("-inf"), prediction)]  # named by us: nothing is stronger
            break
        if lookup.names_other_job(webhook, provider.name, job_id):
            continue
        if lookup.same_input(inputs, prediction.get("input")):
            candidates.append((created, prediction))
    found = lookup.earliest(candidates)
    if found is None:
        return None
    urls = found.get("urls") or {}
    settled = early_outcome(found, blocking=False)
    return Handle(
        provider=provider.name,
        request_id=str(found["id"]),
        urls={k: str(urls[k]) for k in ("get", "cancel", "web") if urls.get(k)},
        data={"model": ref, **settled},
        ready_at=time.time() if settled else None,
        submitted_at=lookup.parse_time(found.get("created_at")) or since,
    )


async def _predictions(provider: ReplicateProvider, start: float) -> Any:
    """Every prediction created since ``start``, following ``next`` on the API's own host
    only (the bearer token never goes elsewhere)."""
    url = "/v1/predictions"
    params: dict[str, str] | None = {"created_after": lookup.iso_utc(start)}
    home = httpx2.URL(provider.base_url).host
    for _ in range(lookup.MAX_PAGES):
        page = (await provider.call("GET", url, params=params)).json()
        for prediction in page.get("results") or []:
            if isinstance(prediction, dict):
                yield prediction
        following = page.get("next")
        if not isinstance(following, str) or httpx2.URL(following).host != home:
            return
        url, params = following, None
