"""The simulators' one multipart reader: what a real client sends comes back field by
field, and anything that is not a well-formed form is None, never a crash."""

from __future__ import annotations

import httpx2
import pytest

from storyreel.testing.simulators.forms import form_fields, parse_form


def encoded(**kwargs: object) -> tuple[str, bytes]:
    request = httpx2.Request("POST", "http://sim.test/upload", **kwargs)  # type: ignore[arg-type]
    return request.headers["content-type"], request.read()


def test_fields_and_files_as_a_client_sends_them() -> None:
    payload = b"\x89PNG\r\n--not-the-boundary\r\n\r\nrest"
    content_type, body = encoded(
        data={"prompt": "a lighthouse", "fileName": "ünïcode.png"},
        files=[
            ("image[]", ("a.png", payload, "image/png")),
            ("image[]", ("b.jpg", b"\xff\xd8", "image/jpeg")),
        ],
    )
    parts = parse_form(content_type, body)
    assert parts is not None
    assert [(p.name, p.filename) for p in parts] == [
        ("prompt", None),
        ("fileName", None),
        ("image[]", "a.png"),
        ("image[]", "b.jpg"),
    ]
    assert parts[2].data == payload and parts[2].content_type == "image/png"
    fields = form_fields(content_type, body)
    assert fields["fileName"].text == "ünïcode.png"
    assert fields["image[]"].filename == "b.jpg"  # the last of a repeated field


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"a": 1}'),
        ("multipart/form-data", b"--x\r\n\r\n--x--"),
        ("multipart/form-data; boundary=x", b"garbage without any boundary"),
        ("multipart/form-data; boundary=x", b"--x\r\nno-colon-header\r\n\r\nv\r\n--x--\r\n"),
    ],
)
def test_what_is_not_a_form_is_none(content_type: str, body: bytes) -> None:
    assert parse_form(content_type, body) is None
    assert form_fields(content_type, body) == {}


def test_a_part_without_a_name_is_skipped() -> None:
    body = (
        b"--x\r\nContent-Disposition: form-data\r\n\r\nanon\r\n"
        b'--x\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--x--\r\n'
    )
    assert form_fields("multipart/form-data; boundary=x", body)["k"].data == b"v"
    assert len(parse_form("multipart/form-data; boundary=x", body) or []) == 1
