"""Reading a ``multipart/form-data`` body the way the providers' servers do, with
python-multipart (the parser Starlette itself uses): the simulators get the raw body
(they record it before anything else), so the parts are read from bytes here rather
than through ``request.form()``."""

from __future__ import annotations

from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header


@dataclass(frozen=True)
class FormPart:
    """One field of a form: a plain value (no ``filename``) or an uploaded file."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace").strip()


def parse_form(content_type: str, body: bytes) -> list[FormPart] | None:
    """The parts of a multipart/form-data body in order; None when the body is not one
    (another content type, no boundary, or bytes that do not parse as a form)."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        return None
    parts: list[FormPart] = []
    headers: dict[bytes, bytes] = {}
    field: list[bytes] = []
    value: list[bytes] = []
    data: list[bytes] = []

    def header_field(buf: bytes, start: int, end: int) -> None:
        field.append(buf[start:end])

    def header_value(buf: bytes, start: int, end: int) -> None:
        value.append(buf[start:end])

    def header_end() -> None:
        headers[b"".join(field).lower()] = b"".join(value)
        field.clear()
        value.clear()

    def part_data(buf: bytes, start: int, end: int) -> None:
        data.append(buf[start:end])

    def part_end() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name")
        if name is not None:
            filename = disposition.get(b"filename")
            kind = headers.get(b"content-type")
            parts.append(
                FormPart(
                    name=name.decode("utf-8", "replace"),
                    data=b"".join(data),
                    filename=filename.decode("utf-8", "replace") if filename is not None else None,
                    content_type=kind.decode("latin-1") if kind else None,
                )
            )
        headers.clear()
        data.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": header_field,
            "on_header_value": header_value,
            "on_header_end": header_end,
            "on_part_data": part_data,
            "on_part_end": part_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError:
        return None
    return parts


def form_fields(content_type: str, body: bytes) -> dict[str, FormPart]:
    """The parts by field name (the last one wins); empty when the body is not a form."""
    return {part.name: part for part in parse_form(content_type, body) or []}
