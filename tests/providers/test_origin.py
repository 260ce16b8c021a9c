"""One answer to "is this URL on that API?": scheme, host and port, parsed like the client."""

from __future__ import annotations

import pytest

from storyreel.providers.origin import BadURL, Origin, on_origin, origin_of

API = ["http://127.0.0.1:8000/fal", "https://queue.fal.run"]


def test_origin_is_normalised() -> None:
    assert origin_of("HTTPS://Queue.FAL.run./a/b?c=1") == Origin("https", "queue.fal.run", 443)
    assert origin_of("http://[::1]:81/") == Origin("http", "::1", 81)
    assert str(origin_of("http://127.0.0.1:8000/x")) == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/fal/requests/1/status",
        "http://127.0.0.1:8000/_sim/files/out.png",  # path does not matter
        "https://queue.fal.run/fal-ai/flux/requests/1",
        "https://queue.fal.run:443/fal-ai/flux/requests/1",
        "https://QUEUE.fal.run./x",
    ],
)
def test_on_origin(url: str) -> None:
    assert on_origin(url, API)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/fal/requests/1/status",  # same host, other port
        "http://127.0.0.1/fal",  # default port is another port
        "https://127.0.0.1:8000/fal",  # other scheme
        "http://localhost:8000/fal",  # same machine, other name
        "http://queue.fal.run/x",  # downgraded to http
        "https://queue.fal.run.evil.example/x",
        "https://queue.fal.run@evil.example/x",
        "https://evil@queue.fal.run/x",  # userinfo is never legitimate
        "file:///etc/passwd",
        "gopher://queue.fal.run/",
        "not a url",
        "",
    ],
)
def test_off_origin(url: str) -> None:
    assert not on_origin(url, API)


def test_bad_urls_raise() -> None:
    for url in ("ftp://a/", "http:///nohost", "http://u:p@a.example/"):
        with pytest.raises(BadURL):
            origin_of(url)
