"""``/ui/login``: sign in with an API key when the server has keys (see ``web.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyreel.api.security import known_hashes
from storyreel.api.state import api_state

from ..auth import key_is_known, sign_in, sign_out
from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE: NavEntry | None = None


def _safe_next(target: str) -> str:
    """Only a path of this UI: never an absolute or protocol-relative URL (open redirect)."""
    return target if target.startswith("/ui") and not target.startswith("//") else "/ui"


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/ui") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None}, nav=[])


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/ui",
) -> Response:
    state = await api_state(request)
    if not key_is_known(key, known_hashes(state.settings)):
        context = {"next": _safe_next(next), "error": "That key is not known to this server."}
        return render(request, "login.html", context, status_code=401, nav=[])
    response = RedirectResponse(_safe_next(next), status_code=303)
    sign_in(request, response, key)
    return response


@router.post("/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    sign_out(response)
    return response
