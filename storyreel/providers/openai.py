"""OpenAI direct: GPT Image (synchronous, base64 out) and Sora videos (asynchronous).

Wire facts (reference/providers-others.md, part C): ``POST /v1/images/generations`` (JSON)
and ``POST /v1/images/edits`` (multipart, one ``image[]`` field per reference, up to 16)
answer at once with ``data[].b64_json``, so ``submit`` decodes the images into scratch
files and ``poll`` reports success straight away. Sora is ``POST /v1/videos`` ->
``GET /v1/videos/{id}`` (queued / in_progress / completed / failed, ``progress`` 0-100) ->
``GET /v1/videos/{id}/content``. That download needs the API key, which the engine never
sends, so ``result`` downloads the MP4 itself. OpenAI deprecated the Videos API (shutdown
announced for 2026-09-24); it stays supported here for accounts where it still answers.

Errors are ``{"error": {"message", "type", "param", "code"}}``: a 429 is either a rate limit
(retry, after ``x-ratelimit-reset-*``) or ``insufficient_quota`` (a person must pay); a
``moderation_blocked`` / ``content_policy_violation`` refusal is the model saying no.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx2
from PIL import ImageOps

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
    QuotaError,
)
from storyreel.media.images import decode_image, flatten_rgb, image_to_png, inspect_image
from storyreel.media.mime import suffix_for
from storyreel.providers import chat_completions as chat
from storyreel.providers.openai_chat import CHAT_PATH
from storyreel.providers.openai_errors import (
    SAFETY_CODES,
    OpenAIAPIError,
    error_fields,
    rate_limit_wait,
    reason_for_error,
    usage_of,
    video_failure,
    video_usage,
)
from storyreel.providers.openai_speech import is_speech_model, speech_body, submit_speech
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage
from storyreel.vocabulary import (
    GenerationRequest,
    Reference,
    RefRole,
    Task,
    nearest_size,
    parse_size,
    request_shape,
)

#: GPT image models (gpt-image-2 also takes free WxH sizes; storyreel uses the fixed three).
IMAGE_MODELS = frozenset(
    {
        "gpt-image-1",
        "gpt-image-1-mini",
        "gpt-image-1.5",
        "gpt-image-2",
        "gpt-image-2-2026-04-21",
        "chatgpt-image-latest",
    }
)
IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536")
DEFAULT_IMAGE_SIZE = "1024x1024"
QUALITIES = ("low", "medium", "high", "auto")
#: Seed 004 defaults GPT image quality to "low" (fast, cheap drafts); extra["quality"] wins.
DEFAULT_QUALITY = "low"
OUTPUT_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_IMAGES = 10
MAX_EDIT_IMAGES = 16
#: extra[...] keys passed through to the image endpoints as they are.
IMAGE_PASSTHROUGH = ("background", "moderation", "output_compression", "input_fidelity", "user")

SORA_SMALL = ("1280x720", "720x1280")
SORA_LARGE = ("1792x1024", "1024x1792")
VIDEO_MODELS: dict[str, tuple[str, ...]] = {
    "sora-2": SORA_SMALL,
    "sora-2-2025-10-06": SORA_SMALL,
    "sora-2-2025-12-08": SORA_SMALL,
    "sora-2-pro": SORA_SMALL + SORA_LARGE,
    "sora-2-pro-2025-10-06": SORA_SMALL + SORA_LARGE,
}
VIDEO_SECONDS = ("4", "8", "12")
VIDEO_STATES = {
    "queued": JobState.QUEUED,
    "in_progress": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
}


def is_video_model(model: str) -> bool:
    return model.startswith("sora")


def image_size(req: GenerationRequest) -> str:
    """``extra["size"]`` as given, else the allowed size nearest the request's shape."""
    if "size" in req.extra:
        return str(req.extra["size"])
    shape = request_shape(req)
    return nearest_size(*shape, IMAGE_SIZES) if shape else DEFAULT_IMAGE_SIZE


def video_size(req: GenerationRequest, model: str) -> str:
    """One of the model's four (or two) sizes: the large ones only for sora-2-pro when the
    request asks for more than 720p; landscape when the request says nothing."""
    if "size" in req.extra:
        return str(req.extra["size"])
    sizes = VIDEO_MODELS.get(model, SORA_SMALL)
    shape = request_shape(req)
    large = (req.resolution or "").lower() in ("1024p", "1080p", "1792p") or (
        req.width is not None and req.height is not None and min(req.width, req.height) > 720
    )
    tier = [s for s in sizes if (s in SORA_LARGE) == large] or list(sizes)
    return nearest_size(*shape, tier) if shape else tier[0]


def video_seconds(req: GenerationRequest) -> str:
    if "seconds" in req.extra:
        return str(req.extra["seconds"])
    wanted = req.duration or 4
    return min(VIDEO_SECONDS, key=lambda s: abs(int(s) - wanted))


def fit_image(data: bytes, size: str) -> bytes:
    """The reference cropped and scaled to exactly ``size``: Sora refuses an
    ``input_reference`` whose dimensions differ from the video's."""
    width, height = parse_size(size)
    info = inspect_image(data, name="input_reference")
    if (info.width, info.height) == (width, height) and info.mime == "image/png":
        return data
    img = flatten_rgb(decode_image(data, name="input_reference"))
    return image_to_png(ImageOps.fit(img, (width, height)))


class OpenAIProvider(RemoteProvider):
    name = "openai"
    default_base_url = "https://api.openai.com"
    tasks = frozenset(
        {
            Task.TEXT_TO_IMAGE,
            Task.IMAGE_TO_IMAGE,
            Task.REFERENCE_TO_IMAGE,
            Task.INPAINT,
            Task.TEXT_TO_VIDEO,
            Task.IMAGE_TO_VIDEO,
            Task.SPEECH,
            Task.CHAT,
        }
    )
    supports_webhooks = False
    max_references = MAX_EDIT_IMAGES + 1  # sixteen images and one mask

    # -- capability checks -----------------------------------------------------------

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if req.task is Task.CHAT:
            return chat.check_chat(self.name, req)
        if is_speech_model(req.model_name) or req.task is Task.SPEECH:
            speech_body(req)  # raises on a speech model asked for anything else, and back
            return
        video = is_video_model(req.model_name)
        if video != (req.task.output_kind == "video"):
            kind = "a video" if video else "an image"
            raise InputError(f"openai: {req.model_name} is {kind} model; it cannot do {req.task}")
        if video:
            self._check_video(req)
        else:
            self._check_image(req)

    def _check_image(self, req: GenerationRequest) -> None:
        if req.count > MAX_IMAGES:
            raise InputError(f"openai: at most {MAX_IMAGES} images per request (n)")
        quality = str(req.extra.get("quality", DEFAULT_QUALITY))
        if quality not in QUALITIES:
            raise InputError(f"openai: quality must be one of {', '.join(QUALITIES)}")
        fmt = str(req.extra.get("output_format", "png"))
        if fmt not in OUTPUT_MIMES:
            raise InputError(f"openai: output_format must be one of {', '.join(OUTPUT_MIMES)}")
        masks = req.refs(RefRole.MASK)
        if len(masks) > 1 or (masks and len(req.references) == len(masks)):
            raise InputError("openai: a mask needs exactly one mask and at least one image")
        if len(req.references) - len(masks) > MAX_EDIT_IMAGES:
            raise InputError(f"openai: image edits take at most {MAX_EDIT_IMAGES} images")
        if req.task is not Task.TEXT_TO_IMAGE and len(req.references) == len(masks):
            raise InputError(f"openai: {req.task} needs at least one reference image")

    def _check_video(self, req: GenerationRequest) -> None:
        if req.count != 1:
            raise InputError("openai: Sora makes one video per request")
        firsts = req.refs(RefRole.FIRST_FRAME) + req.refs(RefRole.INIT_IMAGE)
        if len(firsts) != len(req.references) or len(firsts) > 1:
            raise InputError("openai: Sora takes one first_frame (input_reference) image only")
        if req.task is Task.IMAGE_TO_VIDEO and not firsts:
            raise InputError("openai: image-to-video needs a first_frame reference")
        size = video_size(req, req.model_name)
        allowed = VIDEO_MODELS.get(req.model_name)
        if allowed is not None and size not in allowed:
            raise InputError(f"openai: {req.model_name} renders only {', '.join(allowed)}")
        if video_seconds(req) not in VIDEO_SECONDS:
            raise InputError(f"openai: Sora clips are {', '.join(VIDEO_SECONDS)} seconds long")

    # -- errors ---------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        error = error_fields(response)
        message = error.get("message")
        if not message:
            return super().error_message(response)
        param = error.get("param")
        return f"{message} (param: {param})" if param else str(message)

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        error = error_fields(response)
        code, error_type = error.get("code"), error.get("type")
        base = super().error_from_response(response)
        if "insufficient_quota" in (code, error_type) or isinstance(base, QuotaError):
            return QuotaError(
                base.message, provider=self.name, status=base.status, code=code or error_type
            )
        retry_after = base.retry_after
        if retry_after is None and base.status == 429:
            retry_after = rate_limit_wait(response, error_type, str(error.get("message", "")))
        return OpenAIAPIError(
            base.message,
            provider=self.name,
            status=base.status,
            retryable=base.retryable,
            retry_after=retry_after,
            code=code,
            error_type=error_type,
            param=error.get("param"),
            reason=reason_for_error(base.status, code, error_type),
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """``call``, with a safety refusal turned into the model's own failure."""
        try:
            return await self.call(method, path, **kwargs)
        except OpenAIAPIError as exc:
            if exc.code in SAFETY_CODES:
                raise ProviderJobError(
                    f"openai: refused by the safety system ({exc.code}): {exc.message}",
                    provider=self.name,
                    reason=FailureReason.SAFETY,
                    code=exc.code,
                ) from exc
            raise

    # -- submit -----------------------------------------------------------------------

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        if is_video_model(req.model_name):
            return await self._submit_video(req)
        if req.task is Task.SPEECH:
            return await submit_speech(self, req, job_id)
        if req.task is Task.CHAT:
            return await chat.submit_chat(self, req, job_id, CHAT_PATH)
        return await self._submit_image(req, job_id)

    def image_fields(self, req: GenerationRequest) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "model": req.model_name,
            "prompt": req.prompt,
            "n": req.count,
            "size": image_size(req),
            "quality": str(req.extra.get("quality", DEFAULT_QUALITY)),
            "output_format": str(req.extra.get("output_format", "png")),
        }
        fields |= {k: req.extra[k] for k in IMAGE_PASSTHROUGH if k in req.extra}
        return fields

    def edit_files(self, req: GenerationRequest) -> list[tuple[str, tuple[str, bytes, str]]]:
        """Multipart parts of an edit: ``image[]`` once per image, in role order (the
        init image first, since a mask applies to the first image), then the mask."""
        order = (RefRole.INIT_IMAGE, RefRole.FIRST_FRAME, RefRole.CHARACTER, RefRole.STYLE)
        images: list[Reference] = [ref for role in order for ref in req.refs(role)]
        parts = [
            (
                "image[]",
                (f"image-{i}{suffix_for(ref.mime, '.png')}", self.reference_bytes(ref), ref.mime),
            )
            for i, ref in enumerate(images)
        ]
        for ref in req.refs(RefRole.MASK):
            parts.append(
                (
                    "mask",
                    (f"mask{suffix_for(ref.mime, '.png')}", self.reference_bytes(ref), ref.mime),
                )
            )
        return parts

    async def _submit_image(self, req: GenerationRequest, job_id: str) -> Handle:
        fields = self.image_fields(req)
        files = self.edit_files(req)
        if files:
            form = {k: str(v) for k, v in fields.items()}
            response = await self._call("POST", "v1/images/edits", data=form, files=files)
        else:
            response = await self._call("POST", "v1/images/generations", json=fields)
        body = response.json()
        fmt = str(body.get("output_format") or fields["output_format"])
        mime = OUTPUT_MIMES.get(fmt, "image/png")
        outputs: list[dict[str, str]] = []
        for index, item in enumerate(body.get("data") or []):
            if item.get("b64_json"):
                path = self.scratch_path(f"{job_id}-{index}", suffix_for(mime, ".png"))
                data = base64.b64decode(item["b64_json"])
                await asyncio.to_thread(path.write_bytes, data)
                outputs.append({"file": path.name, "mime": mime})
            elif item.get("url"):  # DALL-E models answer with URLs valid for an hour
                outputs.append({"url": str(item["url"]), "mime": mime})
        if not outputs:
            raise ProviderJobError(
                "openai: the response held no image",
                provider=self.name,
                reason=FailureReason.MODEL_FAILED,
                code="no_output",
            )
        return Handle.answered(
            provider=self.name,
            request_id=response.headers.get("x-request-id") or job_id,
            data={
                "kind": "image",
                "outputs": outputs,
                "size": body.get("size") or fields["size"],
                "quality": body.get("quality") or fields["quality"],
                "usage": usage_of(body, count=len(outputs)).model_dump(
                    mode="json", exclude_none=True
                ),
            },
        )

    async def _submit_video(self, req: GenerationRequest) -> Handle:
        model = req.model_name
        fields = {
            "model": model,
            "prompt": req.prompt,
            "seconds": video_seconds(req),
            "size": video_size(req, model),
        }
        refs = req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
        if refs:
            data = await asyncio.to_thread(fit_image, self.reference_bytes(refs[0]), fields["size"])
            files = [("input_reference", ("input_reference.png", data, "image/png"))]
            response = await self._call("POST", "v1/videos", data=fields, files=files)
        else:
            response = await self._call("POST", "v1/videos", json=fields)
        video = response.json()
        return Handle(
            provider=self.name,
            request_id=str(video["id"]),
            data={
                "kind": "video",
                "model": model,
                "seconds": fields["seconds"],
                "size": fields["size"],
            },
        )

    def can_find_submitted(self, req: GenerationRequest) -> bool:
        """Sora jobs are listed (``GET /v1/videos``); image calls are synchronous and
        leave nothing to look up."""
        return is_video_model(req.model_name)

    async def find_submitted(
        self, req: GenerationRequest, *, job_id: str, since: float
    ) -> Handle | None:
        from storyreel.providers.openai_lookup import find_video

        return await find_video(self, req, since=since) if is_video_model(req.model_name) else None

    # -- status, result, cancel ------------------------------------------------------

    async def poll(self, handle: Handle) -> Status:
        if handle.data.get("kind") == chat.CHAT_KIND:
            return chat.chat_status(handle)
        if handle.data.get("kind") in SYNC_KINDS:
            usage = Usage.model_validate(handle.data.get("usage") or {})
            return Status(state=JobState.SUCCEEDED, progress=1.0, usage=usage)
        response = await self._call("GET", f"v1/videos/{handle.request_id}")
        video = response.json()
        state = VIDEO_STATES.get(str(video.get("status")))
        if state is None:
            raise ProviderAPIError(
                f"openai: unknown video status {video.get('status')!r}", provider=self.name
            )
        progress = video.get("progress")
        fraction = min(1.0, max(0.0, float(progress) / 100)) if progress is not None else None
        if state is JobState.FAILED:
            error = video.get("error") or {}
            code = str(error.get("code") or "failed")
            return Status(
                state=state,
                message=f"{error.get('message') or 'the video failed'} ({code})",
                error_reason=video_failure(code),
                error_code=code,
            )
        if state is JobState.SUCCEEDED:
            return Status(state=state, progress=1.0, usage=video_usage(video))
        return Status(state=state, progress=fraction)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        if handle.data.get("kind") == chat.CHAT_KIND:
            return chat.chat_result(handle)
        if handle.data.get("kind") in SYNC_KINDS:
            return [self._image_artifact(item) for item in handle.data.get("outputs", [])]
        target = self.scratch_path(handle.request_id, ".mp4")
        await self.download_to(f"v1/videos/{handle.request_id}/content", target)
        return [RemoteArtifact(mime="video/mp4", path=target)]

    def _image_artifact(self, item: dict[str, str]) -> RemoteArtifact:
        if "url" in item:
            return RemoteArtifact(mime=item["mime"], url=item["url"])
        path = self.scratch_path(item["file"], "")
        if not path.exists():
            raise ProviderJobError(
                f"openai: image {item['file']} is no longer in this machine's scratch dir",
                provider=self.name,
                reason=FailureReason.UNKNOWN,
                code="output_lost",
            )
        return RemoteArtifact(mime=item["mime"], path=path)

    async def cancel(self, handle: Handle) -> None:
        if handle.data.get("kind") in SYNC_KINDS:
            return  # a synchronous call: nothing is left running
        try:
            await self._call("DELETE", f"v1/videos/{handle.request_id}")
        except ProviderAPIError as exc:
            if exc.status not in (400, 404, 409):
                raise


SYNC_KINDS = ("image", "speech", chat.CHAT_KIND)  # answered with their output: done at submit


def register_providers(register: Register) -> None:
    register(OpenAIProvider)
