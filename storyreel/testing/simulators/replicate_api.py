"""What every endpoint of the simulated Replicate API shares, and its Files API.

Shared: bearer (or ``Token``) auth, RFC 7807 problem+json bodies, ``ratelimit-*`` headers
on every answer, ids in Replicate's alphabet and ISO times with a ``Z``. The Files API:
multipart upload (100 MB cap, ``content`` plus optional ``filename``, ``type`` and JSON
``metadata``), list, get, delete and download, each file gone after ``file_ttl`` (24 h).
Predictions, webhooks and the secret are the simulator proper (``replicate``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .base import FileStore, SimConfig, Simulator
from .forms import form_fields

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
MAX_FILE_BYTES = 100 * 1024 * 1024


def new_id(length: int = 26) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    stamp = datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def parse_iso(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class ReplicateApi(Simulator):
    """Auth, problem bodies and the Files API; the predictions live in the subclass."""

    file_ttl = 24 * 3600.0

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.uploaded: dict[str, dict[str, Any]] = {}

    def file_routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/files", self.create_file, methods=["POST"]),
            Route("/v1/files", self.list_files, methods=["GET"]),
            Route("/v1/files/{id}", self.get_file, methods=["GET"]),
            Route("/v1/files/{id}", self.delete_file, methods=["DELETE"]),
            Route("/v1/files/{id}/download", self.download_file, methods=["GET"]),
        ]

    # -- responses ----------------------------------------------------------------------

    def _json(
        self,
        data: Any,
        status: int = 200,
        *,
        create: bool = False,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        problem = status >= 400
        merged = {"ratelimit-remaining": "599" if create else "2999", "ratelimit-reset": "1"}
        return JSONResponse(
            data,
            status_code=status,
            headers=merged | (headers or {}),
            media_type="application/problem+json" if problem else "application/json",
        )

    def _problem(
        self,
        status: int,
        detail: str,
        title: str | None = None,
        *,
        create: bool = False,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> JSONResponse:
        body: dict[str, Any] = {"title": title} if title else {}
        body |= {"detail": detail, "status": status, **extra}
        return self._json(body, status, create=create, headers=headers)

    def _authorized(self, request: Request) -> bool:
        return self.authorized(request, "Bearer", "Token")

    def _unauthorized(self) -> JSONResponse:
        return self._problem(
            401, "You did not pass a valid authentication token", "Unauthenticated"
        )

    def _invalid(self, fields: list[dict[str, str]], *, create: bool = True) -> JSONResponse:
        detail = "".join(f"- {f['field']}: {f['description']}\n" for f in fields)
        return self._problem(
            422, detail, "Input validation failed", create=create, invalid_fields=fields
        )

    def _bad_version(self) -> JSONResponse:
        return self._problem(
            422,
            "The specified version does not exist (or perhaps you don't have permission "
            "to use it?)",
            "Invalid version or not permitted",
            create=True,
        )

    # -- files --------------------------------------------------------------------------

    def _file(self, file_id: str) -> dict[str, Any] | None:
        entry = self.uploaded.get(file_id)
        if entry is None or (parse_iso(entry["expires_at"]) or 0) < time.time():
            return None
        return entry

    async def create_file(self, request: Request) -> Response:
        raw = await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if len(raw) > MAX_FILE_BYTES:
            return self._problem(413, "The file is larger than 100 MB", "Payload Too Large")
        parts = form_fields(request.headers.get("content-type", ""), raw)
        content = parts.get("content")
        if content is None:
            return self._invalid(
                [{"type": "required", "field": "content", "description": "content is required"}],
                create=False,
            )
        data = content.data

        def text(field: str) -> str:
            return parts[field].text if field in parts else ""

        filename = text("filename") or content.filename or "file"
        mime = text("type") or content.content_type or "application/octet-stream"
        try:
            metadata = json.loads(text("metadata") or "{}")
        except json.JSONDecodeError:
            metadata = None
        if not isinstance(metadata, dict) or len(filename.encode()) > 255:
            field = "metadata" if not isinstance(metadata, dict) else "filename"
            return self._invalid(
                [{"type": "invalid", "field": field, "description": f"{field} is not valid"}],
                create=False,
            )
        file_id = new_id(12)
        self.files.add(f"replicate-file-{file_id}", data)
        now = time.time()
        self.uploads += 1
        entry = {
            "id": file_id,
            "name": filename,
            "content_type": mime,
            "size": len(data),
            "etag": hashlib.md5(data, usedforsecurity=False).hexdigest(),
            "checksums": {
                "sha256": hashlib.sha256(data).hexdigest(),
                "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
            },
            "metadata": metadata,
            "created_at": iso(now),
            "expires_at": iso(now + self.file_ttl),
            "urls": {"get": f"{self.mount_url()}/v1/files/{file_id}"},
        }
        self.uploaded[file_id] = entry
        return self._json(entry, 201)

    async def list_files(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        live = [e for e in self.uploaded.values() if self._file(e["id"]) is not None]
        live.sort(key=lambda e: e["created_at"], reverse=True)
        return self._json({"next": None, "previous": None, "results": live})

    async def get_file(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        entry = self._file(request.path_params["id"])
        if entry is None:
            return self._problem(404, "Not found.")
        return self._json(entry)

    async def delete_file(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.uploaded.pop(request.path_params["id"], None) is None:
            return self._problem(404, "Not found.")
        return Response(status_code=204)

    async def download_file(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        entry = self._file(request.path_params["id"])
        path = self.files.get(f"replicate-file-{request.path_params['id']}")
        if entry is None or path is None:
            return self._problem(404, "Not found.")
        return FileResponse(path, media_type=entry["content_type"])
