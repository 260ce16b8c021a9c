"""One exception handler for the whole API: every error is JSON ``{"detail": "..."}`` with
one message a user can act on, and an HTTP status from the error's class."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from storyreel.errors import ConfigError, ProviderAPIError, StoryreelError

log = logging.getLogger(__name__)


def status_for(exc: StoryreelError) -> int:
    """The errors tree's status, except a server whose configuration cannot serve the
    request (a provider with no key here) is unavailable (503), not broken (500)."""
    if isinstance(exc, ConfigError):
        return 503
    return exc.http_status


def validation_message(exc: RequestValidationError) -> str:
    """Every problem of a request, each as ``where: what``, on one line."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def _html_error(request: Request, status_code: int, message: str) -> Response | None:
    """The web UI's error page for a browser navigating under /ui, else None."""
    from storyreel.web.app import error_page, wants_html  # the UI mounts on this app

    return error_page(request, status_code, message) if wants_html(request) else None


async def _storyreel_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoryreelError)
    if (page := _html_error(request, status_for(exc), exc.message)) is not None:
        return page
    headers = {}
    if isinstance(exc, ProviderAPIError) and exc.retry_after:
        headers["Retry-After"] = str(int(exc.retry_after))
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": exc.message}, status_code=status_for(exc), headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if (page := _html_error(request, 422, validation_message(exc))) is not None:
        return page
    return JSONResponse({"detail": validation_message(exc)}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code >= 400 and (page := _html_error(request, exc.status_code, str(exc.detail))):
        return page
    return JSONResponse(
        {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("request failed: %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {"detail": f"internal error ({type(exc).__name__}); the server log has the details"},
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(StoryreelError, _storyreel_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
