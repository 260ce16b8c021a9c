"""The Jinja2 environment every page renders with: autoescaping on for every template (a
prompt or a character name is user text), the CSRF token, the navigation, a few filters."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .csrf import csrf_token, remember_token
from .nav import NavEntry

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def money(value: float | Decimal | str | None) -> str:
    """USD as people read it: $0.042, $1.20, $1,234.50; unknown as a dash."""
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    if amount != 0 and abs(amount) < 1:
        text = f"{amount:.4f}".rstrip("0")
        whole, _, frac = text.partition(".")
        return f"${whole}.{frac.ljust(2, '0')}"
    return f"${amount:,.2f}"


@cache
def static_version(name: str) -> str:
    """A content hash for cache busting: ``/ui/static/app.css?v=…``."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/ui/static/{name}?v={static_version(name)}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.globals["static_url"] = static_url
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    nav: list[NavEntry] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page or a fragment. Pages extend ``base.html``; fragments (htmx swaps) are
    templates that don't, rendered with the same context."""
    from .pages import nav_entries  # the pages import this module

    full = {
        "csrf_token": csrf_token(request),
        "nav": nav if nav is not None else nav_entries(),
        "path": request.url.path,
        "signed_in_with_key": bool(getattr(request.state, "ui_key_required", False)),
    } | (context or {})
    response = templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=headers
    )
    remember_token(request, response)
    return response
