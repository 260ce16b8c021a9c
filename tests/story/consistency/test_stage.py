"""The Composer stores composites and masks as PNG assets and remembers their rows."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from PIL import Image

from storyreel.store.assets import AssetStore
from storyreel.story.consistency.stage import Composer
from storyreel.vocabulary import Reference, RefRole


def _ref(store: AssetStore, name: str, colour: tuple[int, int, int]) -> Reference:
    buf = io.BytesIO()
    Image.new("RGB", (60, 90), colour).save(buf, "PNG")
    sha, _ = store.put(buf.getvalue(), "image/png")
    return Reference(role=RefRole.CHARACTER, asset=sha, mime="image/png", name=name)


def test_composer_stores_the_composite_and_the_masks(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)
    composer = Composer(SimpleNamespace(assets=store))  # type: ignore[arg-type]
    made = composer.compose([_ref(store, "Mira", (255, 0, 0)), _ref(store, "Tomas", (0, 0, 255))])
    assert made.role is RefRole.CHARACTER and made.name == "Mira+Tomas"
    with Image.open(io.BytesIO(store.read(made.asset, "image/png"))) as img:
        assert img.height == 768 and img.width > 2 * 512
    mask = composer.mask(0, 2, 100, 50)
    assert mask.role is RefRole.MASK and mask.name is None
    assert [info["sha256"] for info in composer.made] == [made.asset, mask.asset]

    assert composer.made[0]["width"] > composer.made[0]["height"]
