"""``/ui``: the UI's front door goes to the first page of the navigation (the library, seed
004's landing page)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from ..nav import NavEntry

router = APIRouter()
PAGE: NavEntry | None = None  # not in the navigation


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    from . import nav_entries  # the page list imports this module

    entries = nav_entries()
    return RedirectResponse(entries[0].path if entries else "/ui/login", status_code=303)
