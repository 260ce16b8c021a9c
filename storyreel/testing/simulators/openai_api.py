"""What every endpoint of the simulated OpenAI API shares: Bearer auth (401
``invalid_api_key``), ``x-request-id`` and ``x-ratelimit-*`` headers on every answer,
``{"error": {message, type, param, code}}`` bodies, the rate limit and quota gate on
creates (429 ``rate_limit_exceeded`` / ``insufficient_quota``), and reading a body that is
JSON or a multipart form. Images, videos and speech build on it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from io import BytesIO
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .base import FileStore, SimConfig, Simulator
from .forms import FormPart, parse_form

BLOCK_MARKER = "BLOCKME"
RATE_LIMIT_REQUESTS = 500


def decode_data_uri(uri: str) -> bytes | None:
    head, sep, payload = uri.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def image_dims(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(BytesIO(data)) as img:
            if img.format not in ("PNG", "JPEG", "WEBP"):
                return None
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


class OpenAIApi(Simulator):
    """Auth, headers, errors and the create gate; the endpoints live in subclasses."""

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.quota_exhausted = False
        self._used = 0

    # -- shared gatekeeping --------------------------------------------------------------

    def headers(self, *, limited: bool = False) -> dict[str, str]:
        remaining = 0 if limited else max(0, RATE_LIMIT_REQUESTS - 1 - self._used)
        return {
            "x-request-id": f"req_{secrets.token_hex(16)}",
            "openai-processing-ms": "12",
            "x-ratelimit-limit-requests": str(RATE_LIMIT_REQUESTS),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": "20ms" if limited else "120ms",
            "x-ratelimit-limit-tokens": "1000000",
            "x-ratelimit-remaining-tokens": "0" if limited else "999000",
            "x-ratelimit-reset-tokens": "20ms" if limited else "6m0s",
        }

    def _error(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        limited: bool = False,
    ) -> JSONResponse:
        body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
        return JSONResponse(body, status_code=status, headers=self.headers(limited=limited))

    def _invalid(self, param: str, value: Any, allowed: list[str]) -> JSONResponse:
        listed = ", ".join(f"'{a}'" for a in allowed)
        return self._error(
            400,
            f"Invalid value: '{value}'. Supported values are: {listed}.",
            param=param,
            code="invalid_value",
        )

    def _json(self, data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status, headers=self.headers())

    def _auth_error(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return self._error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = header.removeprefix("Bearer ")
        if key != self.config.api_key:
            return self._error(
                401,
                f"Incorrect API key provided: {key[:3]}***{key[-4:]}. You can find your API "
                "key at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return None

    def _create_gate(self, model: str) -> Response | None:
        """Rate limit and quota, checked on every create call after auth."""
        if self.take_429():
            return self._error(
                429,
                f"Rate limit reached for {model} in organization org-sim on requests per min "
                f"(RPM): Limit {RATE_LIMIT_REQUESTS}, Used {RATE_LIMIT_REQUESTS}, Requested 1. "
                "Please try again in 20ms.",
                error_type="requests",
                code="rate_limit_exceeded",
                limited=True,
            )
        if self.quota_exhausted:
            return self._error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                error_type="insufficient_quota",
                code="insufficient_quota",
                limited=True,
            )
        self._used += 1
        return None

    async def _accept(self, request: Request) -> tuple[dict[str, Any], list[FormPart]] | Response:
        """Record, authenticate, rate-limit, then parse: a JSON object, or the fields and
        files of a multipart form."""
        raw = await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        content_type = request.headers.get("content-type", "")
        parts = parse_form(content_type, raw)
        if parts is not None:
            fields = {p.name: p.data.decode("utf-8", "replace") for p in parts if not p.filename}
            body: Any = fields
            files = [p for p in parts if p.filename]
        else:
            files = []
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self._error(
                    400,
                    "We could not parse the JSON body of your request. (HINT: This likely "
                    "means you aren't using your HTTP library correctly.)",
                )
            if not isinstance(body, dict):
                return self._error(400, "The request body must be a JSON object.")
        if (limited := self._create_gate(str(body.get("model") or "the model"))) is not None:
            return limited
        return body, files

    def _refuse_params(self, body: dict[str, Any], allowed: frozenset[str]) -> Response | None:
        """OpenAI's 400 for an unknown parameter or a missing prompt; None when fine."""
        unknown = sorted(set(body) - allowed)
        if unknown:
            return self._error(
                400,
                f"Unknown parameter: '{unknown[0]}'.",
                param=unknown[0],
                code="unknown_parameter",
            )
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return self._error(
                400,
                "Missing required parameter: 'prompt'.",
                param="prompt",
                code="missing_required_parameter",
            )
        return None
