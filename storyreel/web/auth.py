"""The UI's API-key flow: when keys are configured (always, beyond localhost), a browser
signs in once with a key and keeps it in an HttpOnly, SameSite=Strict cookie.

The cookie holds the key itself (it is checked by digest like a bearer key) so that no
server-side session store is needed and revoking a key (removing its digest) signs out every
browser that used it.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import HTTPException, Request, Response

from storyreel.api.security import UI_KEY_COOKIE, hash_key

COOKIE = UI_KEY_COOKIE
LOGIN_PATH = "/ui/login"


def key_is_known(key: str, hashes: frozenset[str]) -> bool:
    digest = hash_key(key.strip())
    return bool(key.strip()) and any(hmac.compare_digest(digest, known) for known in hashes)


def sign_in(request: Request, response: Response, key: str) -> None:
    response.set_cookie(
        COOKIE,
        key.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


class UiKeyCheck:
    """The dependency of every UI page but the login page: with keys configured, a page
    without a known key sends the browser to sign in (an htmx call or a form gets 401)."""

    def __init__(self, hashes: frozenset[str]) -> None:
        self.hashes = hashes

    async def __call__(self, request: Request) -> None:
        if not self.hashes:
            return
        key = request.cookies.get(COOKIE, "")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            key = token
        if key and key_is_known(key, self.hashes):
            return
        if request.method == "GET" and "hx-request" not in request.headers:
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            raise HTTPException(
                303, "sign in first", headers={"Location": f"{LOGIN_PATH}?next={target}"}
            )
        raise HTTPException(
            401, "sign in with an API key first", headers={"WWW-Authenticate": "Bearer"}
        )
