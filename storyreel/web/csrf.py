"""CSRF protection for the UI's forms and htmx requests: a double-submit token.

Every page sets a random token in a ``SameSite=Strict`` cookie and puts the same token in the
page (``<meta name="csrf-token">``, sent by htmx as the ``X-CSRF-Token`` header; hidden
``csrf_token`` fields in plain forms). A state-changing request must carry the token that
matches its cookie: another site can make the browser send the cookie, but cannot read it to
put it in the header or the form.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from storyreel.errors import Forbidden

COOKIE = "sr_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(request: Request) -> str:
    """The request's token: the cookie's, or a new one (``remember_token`` sets it)."""
    token = request.cookies.get(COOKIE) or getattr(request.state, "csrf_token", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return token


def remember_token(request: Request, response: Response) -> None:
    """Set the cookie when this request made a new token."""
    if request.cookies.get(COOKIE):
        return
    response.set_cookie(
        COOKIE,
        csrf_token(request),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui",
    )


async def check_csrf(request: Request) -> None:
    """The dependency of every UI route: unsafe methods need the matching token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and _is_form(request):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("the form has expired or came from another site: reload the page")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
