"""The bundled two-character story end to end with each consistency strategy: offline (sketch
draws Bo's sheet and honours Ines's reference), fal multi-reference edit, fal flux-general
IP-Adapter and ModelsLab image-to-image. The simulators' request logs must show every panel
carrying exactly the references of the characters in its shot."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from collections import deque
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyreel.media.composite import side_by_side
from storyreel.story.loader import parse_story
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from tests.e2e.helpers import cli_env, query, storyreel

EXAMPLE = files("storyreel.examples")
STORY = parse_story(EXAMPLE.joinpath("kite_festival.yaml").read_text())
CAST = {shot.action: list(shot.characters) for beat in STORY.beats for shot in beat.shots}
TEAL = (36, 132, 132)


def _copy_story(tmp_path: Path, render: str = "") -> None:
    text = EXAMPLE.joinpath("kite_festival.yaml").read_text()
    if render:
        text = text.replace("  image_model: sketch:previz\n", render)
    (tmp_path / "story.yaml").write_text(text)
    (tmp_path / "ines.png").write_bytes(EXAMPLE.joinpath("ines.png").read_bytes())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _expected(tmp_path: Path) -> dict[str, str]:
    """Each character's reference sha: Ines's own image, Bo's drawn sheet."""
    (sheet,) = query(tmp_path / "data", "SELECT sheet_asset FROM characters WHERE name = 'Bo'")[0:1]
    assert sheet[0], "Bo got no character sheet"
    ines = query(tmp_path / "data", "SELECT reference_asset FROM characters WHERE name = 'Ines'")
    assert ines[0][0] == _sha((tmp_path / "ines.png").read_bytes())
    no_sheet = query(tmp_path / "data", "SELECT sheet_asset FROM characters WHERE name = 'Ines'")
    assert no_sheet[0][0] is None, "a character with a reference got a sheet too"
    return {"Ines": ines[0][0], "Bo": sheet[0]}


def _asset(tmp_path: Path, sha: str) -> bytes:
    (path,) = (tmp_path / "data" / "assets" / sha[:2] / sha[2:4]).glob(f"{sha}.*")
    return path.read_bytes()


def _bytes_of(url: str, sim_files: Path) -> bytes:
    if url.startswith("data:"):
        return base64.b64decode(url.split(",", 1)[1])
    return (sim_files / url.rsplit("/", 1)[1]).read_bytes()


def _run(tmp_path: Path, suite: SimulatorSuite | None = None) -> None:
    env = cli_env(tmp_path / "data", **(suite.env() if suite else {}))
    result = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    _check_scores(tmp_path, result.stdout)


def _check_scores(tmp_path: Path, stdout: str) -> None:
    """Scores per panel and character: stored, in the manifest, in the summary; the
    characters' images exported beside the panels."""
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    identity = manifest["consistency"]
    pairs = {(p["shot"], p["character"]) for p in identity["panels"]}
    assert pairs == {(n, c) for n, a in enumerate(CAST, 1) for c in CAST[a]}
    rows = query(tmp_path / "data", "SELECT shot_number, character FROM identity_scores")
    assert set(rows) == pairs
    assert "identity:      offline: cross/self" in stdout
    sources = {c["name"]: c["source"] for c in manifest["characters"]}
    assert sources == {"Ines": "reference", "Bo": "sheet"}
    for character in manifest["characters"]:
        assert _sha((tmp_path / "out" / character["file"]).read_bytes()) == character["sha256"]
    print(
        "SCORES", tmp_path.name, json.dumps(identity["characters"] | {"story": identity["story"]})
    )


def _panels(log: deque[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each panel's submitted body, by the shot's action."""
    found = {}
    for entry in log:
        body = entry["body"]
        if entry["method"] != "POST" or not isinstance(body, dict):
            continue
        for action in CAST:
            if action in str(body.get("prompt", "")):
                found[action] = body
    assert set(found) == set(CAST), sorted(set(CAST) - set(found))
    return found


@pytest.mark.slow
def test_offline_sketch_draws_the_sheet_and_honours_the_reference(tmp_path: Path) -> None:
    _copy_story(tmp_path)
    _run(tmp_path)
    refs = _expected(tmp_path)
    sheet = Image.open(io.BytesIO(_asset(tmp_path, refs["Bo"]))).convert("RGB")
    assert sheet.size == (768, 1024)
    assert sheet.getpixel((5, 5)) == (226, 226, 222), "a sheet is drawn on a plain ground"
    # Ines's description names no colour; her reference shows a teal coat, and so do the
    # panels she is in (and only those).
    for number, action in enumerate(CAST, 1):
        panel = Image.open(tmp_path / "out" / "panels" / f"shot_{number:03d}.png")
        colours = {c for _, c in panel.convert("RGB").getcolors(1 << 20) or []}
        assert (TEAL in colours) == ("Ines" in CAST[action]), (number, action)


def _served(tmp_path: Path, render: str, provider: str) -> tuple[dict[str, dict[str, Any]], Path]:
    _copy_story(tmp_path, render)

    async def go() -> dict[str, dict[str, Any]]:
        async with serve_simulators(
            SimConfig(latency=0.05, video_latency=0.05), files_dir=tmp_path / "sim"
        ) as suite:
            suite[provider].requests = deque(maxlen=10_000)
            await asyncio.to_thread(_run, tmp_path, suite)
            return _panels(suite[provider].requests)

    return asyncio.run(go()), tmp_path / "sim"


@pytest.mark.slow
def test_fal_multi_reference_edit_sends_exactly_the_present_characters(tmp_path: Path) -> None:
    bodies, sim = _served(tmp_path, "  image_model: nano-banana\n", "fal")
    refs = _expected(tmp_path)
    for action, body in bodies.items():
        cast = [name for name in ("Ines", "Bo") if name in CAST[action]]  # story order
        sent = [_sha(_bytes_of(url, sim)) for url in body["image_urls"]]
        assert sent == [refs[name] for name in cast], action
        for n, name in enumerate(cast):
            ordinal = ("first", "second")[n]
            assert f"{name} is the person in the {ordinal} image" in body["prompt"], body["prompt"]


@pytest.mark.slow
def test_fal_flux_general_sends_one_ip_adapter_per_present_character(tmp_path: Path) -> None:
    render = "  image_model: flux-general\n  sheet_model: flux-2-pro\n  ip_adapter_masks: true\n"
    bodies, sim = _served(tmp_path, render, "fal")
    refs = _expected(tmp_path)
    scales = {"Ines": 0.8, "Bo": 0.6}
    for action, body in bodies.items():
        cast = [name for name in ("Ines", "Bo") if name in CAST[action]]
        adapters = body["ip_adapters"]
        assert [_sha(_bytes_of(a["image_url"], sim)) for a in adapters] == [refs[n] for n in cast]
        assert [a["scale"] for a in adapters] == [scales[n] for n in cast]
        assert all(("mask_image_url" in a) == (len(cast) > 1) for a in adapters), action


@pytest.mark.slow
def test_modelslab_image_to_image_sends_the_sheet_or_a_composite(tmp_path: Path) -> None:
    bodies, sim = _served(tmp_path, "  image_model: modelslab:flux\n", "modelslab")
    refs = _expected(tmp_path)
    for action, body in bodies.items():
        cast = [name for name in ("Ines", "Bo") if name in CAST[action]]
        init = _bytes_of(body["init_image"], sim)
        if len(cast) == 1:
            assert _sha(init) == refs[cast[0]], action
        else:  # one init image: the two references side by side, in story order
            want = side_by_side([_asset(tmp_path, refs[n]) for n in cast])
            assert _sha(init) == _sha(want), action
        assert body["strength"] == 0.55
