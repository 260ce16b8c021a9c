"""Mounting the UI on the API's FastAPI app: the pages under ``/ui`` (signed in when keys
are configured, CSRF-checked), the login page open, the vendored static files."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from storyreel.api.security import known_hashes
from storyreel.config import Settings

from . import pages
from .auth import UiKeyCheck
from .csrf import check_csrf
from .pages import login
from .templating import STATIC, render

PREFIX = "/ui"


def mount_ui(app: FastAPI, settings: Settings) -> None:
    protected = [Depends(UiKeyCheck(known_hashes(settings))), Depends(check_csrf)]
    for page in pages.PAGES:
        app.include_router(
            page.router, prefix=PREFIX, dependencies=protected, include_in_schema=False
        )
    app.include_router(
        login.router, prefix=PREFIX, dependencies=[Depends(check_csrf)], include_in_schema=False
    )
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="ui-static")


def wants_html(request: Request) -> bool:
    """A browser navigating to a UI page (not an htmx swap, not an API client) gets its
    errors as a page; everything else gets the API's JSON."""
    return (
        request.url.path.startswith(PREFIX)
        and "text/html" in request.headers.get("accept", "")
        and "hx-request" not in request.headers
    )


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    context = {"status_code": status_code, "message": message}
    return render(request, "error.html", context, status_code=status_code)
