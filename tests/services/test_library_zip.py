"""Selected library assets as one streamed zip: ids checked, caps kept, bytes intact."""

from __future__ import annotations

import io
import zipfile

import pytest

from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, NotFound
from storyreel.services import library_zip
from tests.web.library_seed import seed_library


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_zip_streams_every_chosen_file_once(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await seed_library(rt, 3, videos=1)
    monkeypatch.setattr(library_zip, "CHUNK", 100)  # several chunks per file
    ids = [made[3].sha256, made[0].sha256, made[3].sha256]
    entries = await library_zip.plan_zip(rt, ids)
    assert [e.name[:5] for e in entries] == ["0001-", "0002-"]
    chunks = list(library_zip.stream_zip(entries))
    assert len([c for c in chunks if c]) > 3  # streamed, not built whole
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert [n.rsplit(".", 1)[1] for n in archive.namelist()] == ["mp4", "png"]
    assert archive.read(archive.namelist()[1]) == rt.assets.read(made[0].sha256, "image/png")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_refusals_come_before_any_byte(rt: Runtime) -> None:
    made = await seed_library(rt, 3)
    shas = [m.sha256 for m in made]
    with pytest.raises(InputError, match="at least one"):
        await library_zip.plan_zip(rt, [])
    with pytest.raises(InputError, match="not an asset id"):
        await library_zip.plan_zip(rt, ["../storyreel.db"])
    with pytest.raises(NotFound, match=r"unknown asset f{64} and 1 more"):
        await library_zip.plan_zip(rt, [shas[0], "f" * 64, "e" * 64])
    with pytest.raises(InputError, match="at most 2"):
        await library_zip.plan_zip(rt, shas, max_files=2)
    with pytest.raises(InputError, match="select fewer"):
        await library_zip.plan_zip(rt, shas, max_bytes=100)
    rt.assets.path(shas[1], "image/png").unlink()
    with pytest.raises(NotFound, match="missing from the store"):
        await library_zip.plan_zip(rt, shas)
