"""fal: finding a queue request whose submit answer was lost (``find_submitted``).

fal's Platform API lists an account's requests per endpoint:
``GET https://api.fal.ai/v1/models/requests/by-endpoint?endpoint_id=<app id>&start=<ISO>
&expand=payloads`` answers ``{"items": [{request_id, endpoint_id, sent_at, started_at,
ended_at, status_code, duration, json_input, json_output}], "next_cursor", "has_more"}``,
``limit`` at most 100, ``start`` defaulting to 24 hours ago [C: fal docs, "List requests
by endpoint(s)"]. Neither the webhook URL nor any id of ours is in an item, so ours is the
earliest item sent since the attempt started whose ``json_input`` is exactly the body we
build again now. Whether requests still queued or running are listed is not documented
[?]; the simulator lists them (with ``ended_at: null``), and where the real API does not,
a lookup made while ours is still queued finds nothing and the engine resubmits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from storyreel.providers import lookup
from storyreel.providers.fal_apps import app_for
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest

if TYPE_CHECKING:
    from storyreel.providers.fal import FalProvider

HISTORY_PATH = "/v1/models/requests/by-endpoint"


async def find_request(
    provider: FalProvider, req: GenerationRequest, *, since: float
) -> Handle | None:
    app_id = req.model_name
    body = await provider.build_input(req, app_for(app_id))
    start = lookup.window_start(since)
    candidates: list[tuple[float, dict[str, Any]]] = []
    async for item in _history(provider, app_id, start):
        sent = lookup.parse_time(item.get("sent_at"))
        if sent is None or sent < start or item.get("endpoint_id") != app_id:
            continue
        if lookup.same_input(body, item.get("json_input")):
            candidates.append((sent, item))
    found = lookup.earliest(candidates)
    if found is None:
        return None
    request_id = str(found["request_id"])
    return Handle(
        provider=provider.name,
        request_id=request_id,
        urls=queue_urls(provider.base_url, app_id, request_id),
        data={"app_id": app_id},
        submitted_at=lookup.parse_time(found.get("sent_at")) or since,
    )


def queue_urls(queue_url: str, app_id: str, request_id: str) -> dict[str, str]:
    """The URLs a submit answers with: under ``{owner}/{alias}`` only, whatever the app's
    sub-path (reference A2)."""
    owner_alias = "/".join(app_id.split("/")[:2])
    base = f"{queue_url}/{owner_alias}/requests/{request_id}"
    return {"status_url": f"{base}/status", "response_url": base, "cancel_url": f"{base}/cancel"}


async def _history(
    provider: FalProvider, app_id: str, start: float
) -> AsyncIterator[dict[str, Any]]:
    platform = provider.options.platform_url
    params = {
        "endpoint_id": app_id,
        "start": lookup.iso_utc(start),
        "expand": "payloads",
        "limit": "100",
    }
    for _ in range(lookup.MAX_PAGES):
        url = f"{platform.rstrip('/')}{HISTORY_PATH}"
        page = (await provider.call("GET", url, params=params)).json()
        for item in page.get("items") or []:
            if isinstance(item, dict):
                yield item
        cursor = page.get("next_cursor")
        if not page.get("has_more") or not isinstance(cursor, str):
            return
        params = params | {"cursor": cursor}
