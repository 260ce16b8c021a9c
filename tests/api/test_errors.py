"""The API's one error shape: every failure is ``{"detail": "<one line>"}`` with the status
of its class, a missing provider key is 503 (not a crash), Retry-After and
WWW-Authenticate ride along, and an unexpected crash names no internals beyond its type."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel

from storyreel.api.errors import install, status_for
from storyreel.errors import (
    ConfigError,
    InputError,
    NotFound,
    ProviderAPIError,
    StoryreelError,
    Unauthorized,
)


class Body(BaseModel):
    prompt: str
    count: int


def client() -> TestClient:
    app = FastAPI()
    install(app)
    raising: dict[str, Exception] = {
        "input": InputError("prompt is empty"),
        "missing": NotFound("no job j-1"),
        "config": ConfigError("FAL_KEY is not set"),
        "busy": ProviderAPIError("slow down", status=429, retry_after=7.9),
        "auth": Unauthorized("unknown API key"),
        "http": HTTPException(status_code=418, detail="teapot"),
        "crash": RuntimeError("secret=hunter2 in /srv/internal"),
    }

    @app.get("/raise/{name}")
    def raise_(name: str) -> None:
        raise raising[name]

    @app.post("/body")
    def body(payload: Body) -> dict[str, str]:
        return {"ok": payload.prompt}

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("name", "status", "detail"),
    [
        ("input", 422, "prompt is empty"),
        ("missing", 404, "no job j-1"),
        ("config", 503, "FAL_KEY is not set"),
        ("http", 418, "teapot"),
    ],
)
def test_each_error_is_its_status_and_one_detail(name: str, status: int, detail: str) -> None:
    response = client().get(f"/raise/{name}")
    assert (response.status_code, response.json()) == (status, {"detail": detail})


def test_retry_after_and_www_authenticate_ride_along() -> None:
    api = client()
    busy = api.get("/raise/busy")
    assert (busy.status_code, busy.headers["retry-after"]) == (502, "7")
    auth = api.get("/raise/auth")
    assert (auth.status_code, auth.headers["www-authenticate"]) == (401, "Bearer")


def test_a_crash_is_a_500_that_names_only_its_type(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="storyreel.api.errors"):
        response = client().get("/raise/crash")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "internal error (RuntimeError); the server log has the details"
    }
    assert "hunter2" not in response.text
    assert "request failed: GET /raise/crash" in caplog.text  # the log has the details


def test_every_validation_problem_on_one_line() -> None:
    response = client().post("/body", json={"count": "many"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
    assert detail.startswith("prompt: Field required; count: ")


def test_status_for_keeps_the_class_status_except_config() -> None:
    assert status_for(StoryreelError("x")) == 500
    assert status_for(NotFound("x")) == 404
    assert status_for(ConfigError("x")) == 503
