"""``/api/v1/assets``: the library (keyset pages; filters by kind, model, project, date),
file downloads and thumbnails. Files are served only from the asset store, by a sha256
the database knows: no request names a path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from storyreel.errors import NotFound
from storyreel.services import library
from storyreel.store.assets import extension_for

from ..schemas import ASSETS, AssetOut, AssetPage
from ..state import ApiState, api_state

router = APIRouter(tags=["library"])
State = Annotated[ApiState, Depends(api_state)]
Sha = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]


@router.get("/assets", response_model=AssetPage)
async def list_assets(
    state: State,
    kind: Literal["image", "video"] | None = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    project_id: Annotated[str | None, Query(max_length=26)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AssetPage:
    """Newest first; ``next_before`` is the cursor of the next page."""
    items, more = await library.list_assets(
        state.rt,
        kind=kind,
        model=model,
        project_id=project_id,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )
    return AssetPage(
        assets=[
            AssetOut(
                sha256=i.sha256,
                mime=i.mime,
                job_id=i.job_id,
                position=i.position,
                model=i.model,
                task=i.task,
                project_id=i.project_id,
                created_at=i.created_at,
                width=i.width,
                height=i.height,
                duration=i.duration,
                size=i.size,
                url=f"{ASSETS}/{i.sha256}",
                thumbnail_url=f"{ASSETS}/{i.sha256}/thumbnail" if i.thumbnail_sha256 else None,
            )
            for i in items
        ],
        next_before=more,
    )


#: A URL names the file by its content hash, so what it serves never changes: browsers keep
#: it (the library's thumbnails are not fetched again when scrolled back to or revisited).
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


def _file(state: ApiState, sha256: str, mime: str, *, name: str) -> FileResponse:
    """A stored file, after checking that its path is inside the asset store."""
    path = state.rt.assets.path(sha256, mime).resolve()
    root = Path(state.rt.assets.root).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"the file of asset {sha256} is missing from the store")
    return FileResponse(
        path, media_type=mime, filename=name + extension_for(mime), headers=IMMUTABLE
    )


@router.get("/assets/{sha256}", response_class=FileResponse)
async def download(sha256: Sha, state: State) -> FileResponse:
    asset = await library.get_asset(state.rt, sha256)
    return _file(state, asset.sha256, asset.mime, name=asset.sha256[:16])


@router.get("/assets/{sha256}/thumbnail", response_class=FileResponse)
async def thumbnail(sha256: Sha, state: State) -> FileResponse:
    """The 150 px JPEG preview."""
    asset = await library.get_asset(state.rt, sha256)
    if asset.thumbnail_sha256 is None:
        raise NotFound(f"asset {sha256} has no thumbnail")
    return _file(state, asset.thumbnail_sha256, "image/jpeg", name=f"{sha256[:16]}-thumb")
