"""What every endpoint of the simulated Gemini API shares: ``x-goog-api-key`` (or
``?key=``) auth, Google's error bodies (``{"error": {"code", "message", "status",
"details"}}``), the 429 ``RESOURCE_EXHAUSTED`` with its ``RetryInfo``, and reading proto3
JSON: either field spelling (``inline_data`` or ``inlineData``), standard or URL-safe
base64 bytes, and an inline image that must decode.
"""

from __future__ import annotations

import base64
import binascii
from io import BytesIO
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .base import Simulator

BLOCK_MARKER = "BLOCKME"  # in a prompt: the "safety system" refuses it


def google_error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=code)


def invalid(message: str, field: str | None = None) -> JSONResponse:
    details = None
    if field:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ]
    return google_error(400, "INVALID_ARGUMENT", message, details)


def image_bytes(blob: Any, field: str, *, data_key: str, mime_key: str) -> bytes | Response:
    """The decoded image of an ``inlineData`` / Veo ``image`` object, or the 400 for it."""
    if not isinstance(blob, dict) or not isinstance(blob.get(data_key), str):
        return invalid(f"{field}.{data_key} is required.", field)
    if blob.get(mime_key) not in ("image/png", "image/jpeg", "image/webp"):
        return invalid(f"Unsupported MIME type: {blob.get(mime_key)}", f"{field}.{mime_key}")
    try:
        data = proto_bytes(blob[data_key])
        with Image.open(BytesIO(data)) as img:
            img.verify()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        return invalid(
            f"Invalid value at '{field}.{data_key}': the image could not be decoded.", field
        )
    return data


def proto_bytes(text: str) -> bytes:
    """Proto3 JSON bytes: standard or URL-safe base64, with or without padding (the
    official SDK sends URL-safe)."""
    normal = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)


def camel(value: Any) -> Any:
    """Proto3 JSON accepts a field by its proto name or its lowerCamelCase name
    (``mime_type`` or ``mimeType``; the official SDK mixes both), so keys are normalised to
    camelCase before validating."""
    if isinstance(value, list):
        return [camel(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        head, *rest = str(key).split("_")
        out[head + "".join(word[:1].upper() + word[1:] for word in rest)] = camel(item)
    return out


class GeminiApi(Simulator):
    """Auth and rate limiting; the model methods live in subclasses."""

    # -- shared ---------------------------------------------------------------------------

    def _auth_error(self, request: Request) -> Response | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if key != self.config.api_key:
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    }
                ],
            )
        return None

    def _rate_limited(self) -> Response | None:
        if not self.take_429():
            return None
        return google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_requests_per_model",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.05s"},
            ],
        )
