"""A local provider's output becomes a stored, described asset: its bytes land in the
asset store under their SHA-256 with size, dimensions and a thumbnail; a file outside the
data dir (a ``..`` path or a symlink out) is refused; undescribable types stay plain."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx2
import pytest

from storyreel.engine.outputs import store_artifact
from storyreel.errors import ProviderJobError
from storyreel.providers.types import RemoteArtifact
from storyreel.store.assets import AssetStore
from tests.media.helpers import flat_png


def store(path: Path, data_dir: Path, mime: str = "image/png") -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with httpx2.AsyncClient() as client:
            return await store_artifact(
                RemoteArtifact(mime=mime, path=path),
                assets=AssetStore(data_dir / "assets"),
                data_dir=data_dir,
                client=client,
                max_bytes=10_000_000,
                trusted_origins=(),
            )

    return asyncio.run(go())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "scratch").mkdir(parents=True)
    return root.resolve()


def test_an_image_is_stored_with_its_size_and_a_thumbnail(data_dir: Path) -> None:
    png = flat_png((320, 180))
    path = data_dir / "scratch" / "out.png"
    path.write_bytes(png)
    info = store(path, data_dir)
    assets = AssetStore(data_dir / "assets")
    assert info["sha256"] == hashlib.sha256(png).hexdigest()
    assert (info["mime"], info["size"], info["width"], info["height"]) == (
        "image/png",
        len(png),
        320,
        180,
    )
    assert assets.path(info["sha256"], "image/png").read_bytes() == png
    assert assets.path(info["thumbnail_sha256"], "image/jpeg").is_file()


def test_a_file_outside_the_data_dir_is_refused(data_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(flat_png((8, 8)))
    with pytest.raises(ProviderJobError, match="outside the data dir"):
        store(data_dir / "scratch" / ".." / ".." / "secret.png", data_dir)
    link = data_dir / "scratch" / "link.png"
    link.symlink_to(secret)
    with pytest.raises(ProviderJobError, match="outside the data dir"):
        store(link, data_dir)
    assert not (data_dir / "assets").exists() or not any((data_dir / "assets").rglob("*.png"))


def test_other_types_are_stored_plain(data_dir: Path) -> None:
    path = data_dir / "scratch" / "plan.txt"
    path.write_text("shot 1")
    info = store(path, data_dir, mime="text/plain")
    assert info == {
        "sha256": hashlib.sha256(b"shot 1").hexdigest(),
        "mime": "text/plain",
        "size": 6,
    }


def test_a_local_output_needs_no_client_and_one_worker_thread_trip(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing and describing a local file is one hand-over to a worker thread, and no
    HTTP client is needed (``finish`` makes one only for outputs on the network)."""
    path = data_dir / "scratch" / "out.png"
    path.write_bytes(flat_png((64, 48)))
    trips = 0
    to_thread = asyncio.to_thread

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal trips
        trips += 1
        return await to_thread(*args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)

    async def go() -> dict[str, Any]:
        return await store_artifact(
            RemoteArtifact(mime="image/png", path=path),
            assets=AssetStore(data_dir / "assets"),
            data_dir=data_dir,
            client=None,
            max_bytes=10_000_000,
            trusted_origins=(),
        )

    info = asyncio.run(go())
    assert (info["width"], info["height"], trips) == (64, 48, 1)


def test_an_output_on_the_network_needs_a_client(data_dir: Path) -> None:
    async def go() -> None:
        await store_artifact(
            RemoteArtifact(mime="image/png", url="https://example.com/out.png"),
            assets=AssetStore(data_dir / "assets"),
            data_dir=data_dir,
            client=None,
            max_bytes=10_000_000,
            trusted_origins=(),
        )

    with pytest.raises(ValueError, match="client"):
        asyncio.run(go())
