"""``/api/v1/images``, ``/api/v1/videos`` (jobs of one kind, by JSON or by upload) and
``/api/v1/uploads`` (store an input image once, refer to it by sha256)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from storyreel.errors import InputError, NotFound
from storyreel.services import jobs as job_service
from storyreel.services.generation import read_image_upload
from storyreel.store.records import add_asset, store_image
from storyreel.vocabulary import Task

from ..generation import create_generation
from ..schemas import ASSETS, GenerateIn, JobOut, JobPage, UploadOut
from ..state import ApiState, api_state

router = APIRouter(tags=["images and videos"])
State = Annotated[ApiState, Depends(api_state)]
MAX_FILES = 8

IMAGE_TASKS = [t.value for t in Task if t.output_kind == "image"]
VIDEO_TASKS = [t.value for t in Task if t.output_kind == "video"]


async def read_upload(state: ApiState, upload: UploadFile) -> tuple[bytes, str]:
    """An uploaded image, read with the upload cap and checked (format, pixels)."""
    return await read_image_upload(
        upload,
        max_bytes=state.settings.max_upload_bytes,
        max_pixels=state.settings.max_image_pixels,
    )


def _kind_of(job_task: str) -> Literal["image", "video"]:
    return "video" if job_task in VIDEO_TASKS else "image"


def _routes(kind: Literal["image", "video"]) -> None:
    tasks = IMAGE_TASKS if kind == "image" else VIDEO_TASKS

    @router.post(f"/{kind}s", status_code=202, response_model=JobOut, name=f"create_{kind}")
    async def create(body: GenerateIn, state: State) -> JobOut:
        return JobOut.of(await create_generation(state, body.model_copy(update={"kind": kind})))

    @router.post(f"/{kind}s/upload", status_code=202, response_model=JobOut, name=f"upload_{kind}")
    async def create_with_files(
        state: State,
        model: Annotated[str, Form(min_length=1, max_length=200)],
        prompt: Annotated[str, Form(min_length=1, max_length=10_000)],
        files: Annotated[list[UploadFile], File()],
    ) -> JobOut:
        """The same with input images as multipart files (``files``, repeatable)."""
        if len(files) > MAX_FILES:
            raise InputError(f"at most {MAX_FILES} files")
        uploads = [await read_upload(state, f) for f in files]
        body = GenerateIn(kind=kind, model=model, prompt=prompt)
        return JobOut.of(await create_generation(state, body, uploads))

    @router.get(f"/{kind}s", response_model=JobPage, name=f"list_{kind}s")
    async def list_(
        state: State,
        before: Annotated[str | None, Query(max_length=26)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> JobPage:
        rows, more = await job_service.list_jobs(state.rt, task=tasks, before=before, limit=limit)
        return JobPage(jobs=[JobOut.of(j) for j in rows], next_before=more)

    @router.get(f"/{kind}s/{{job_id}}", response_model=JobOut, name=f"get_{kind}")
    async def get(job_id: str, state: State) -> JobOut:
        job = await job_service.get_job(state.rt, job_id)
        if _kind_of(job.task) != kind:
            raise NotFound(f"job {job_id} is not an {kind} job")
        return JobOut.of(job)


_routes("image")
_routes("video")


@router.post("/uploads", status_code=201, response_model=UploadOut)
async def upload(state: State, file: Annotated[UploadFile, File()]) -> UploadOut:
    """Store an input image (size, pixel and format checked); use its sha256 in
    ``reference_assets``."""
    data, mime = await read_upload(state, file)
    info = store_image(state.rt.assets, data, mime)
    async with state.rt.db.session() as session:
        await add_asset(session, info)
    return UploadOut(
        sha256=info["sha256"],
        mime=mime,
        width=info["width"],
        height=info["height"],
        url=f"{ASSETS}/{info['sha256']}",
    )
