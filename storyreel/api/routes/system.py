"""``/api/v1/health`` and the provider webhook receiver (the engine's route, mounted here
so providers can reach a server that runs the API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

import storyreel
from storyreel.engine.webhooks import accept_webhook, check_token, read_body

from ..state import ApiState, api_state

api_router = APIRouter(tags=["system"])
webhook_router = APIRouter(tags=["system"])
State = Annotated[ApiState, Depends(api_state)]


@api_router.get("/health")
async def health(state: State) -> dict[str, Any]:
    """Whether the database answers, and how this process runs jobs (``embedded``: here;
    ``queue``: on worker processes)."""
    async with state.rt.db.session() as session:
        await session.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "version": storyreel.__version__,
        "jobs": "embedded" if state.engine is not None else "queue",
        "database": "postgresql" if state.settings.is_postgres else "sqlite",
        "models": len(state.catalog),
    }


@webhook_router.post("/webhooks/{provider}/{job_id}/{token}", include_in_schema=False)
async def receive_webhook(
    provider: str, job_id: str, token: str, request: Request, state: State
) -> JSONResponse:
    """Unauthenticated senders reach this: the job token is checked before the body is
    read (capped, 413 past ``webhook_max_bytes``)."""
    check_token(state.rt, job_id, token)
    body = await read_body(request, state.settings.webhook_max_bytes)
    send = state.client.send_async if state.client is not None else None
    outcome = await accept_webhook(
        state.rt, provider, job_id, token, dict(request.headers), body, send=send
    )
    return JSONResponse({"status": outcome})
