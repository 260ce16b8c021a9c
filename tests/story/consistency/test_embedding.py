"""The embedding scorer, run for real: a tiny random-weight DINOv2 and its image processor are
saved to a folder and loaded through the scorer's own loading code (local files only), so its
contract is checked without downloaded weights. Random weights say nothing about how well it
ranks; they do check that identical images score highest, that every score is in 0-1, that
the copy guard still catches a pasted reference, and that a missing model is one clear error.
Skipped only where the optional extra (torch, transformers) is not installed."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from storyreel.errors import ConfigError
from storyreel.story.consistency.identity import Panel, get_scorer, score_panels

from .test_offline import panels  # noqa: F401 - the known image set, as a fixture

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide DINOv2 with random weights and its processor, saved as a hub
    snapshot would be."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("dinov2-tiny")
    config = transformers.Dinov2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        image_size=32,
        patch_size=8,
    )
    transformers.Dinov2Model(config).save_pretrained(folder)
    transformers.BitImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(folder)
    return folder


@pytest.fixture
def scorer(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("STORYREEL_IDENTITY_MODEL", str(tiny_model))
    return get_scorer("embedding")  # the path render.scorer: embedding takes


def test_it_loads_local_weights_and_keeps_its_contract(
    scorer: object,
    panels: dict[str, bytes],  # noqa: F811
) -> None:
    assert getattr(scorer, "name", None) == "embedding"
    ref = scorer.reference(panels["reference"])  # type: ignore[attr-defined]
    found = {
        name: scorer.find(data, ref)  # type: ignore[attr-defined]
        for name, data in panels.items()
        if name != "reference"
    }
    assert {len(f.vector) for f in found.values()} == {32}  # the model's hidden size
    for f in found.values():
        assert 0.0 <= f.similarity <= 1.0
    # Identical images score highest: a panel against itself is 1, above any other pair.
    for name, f in found.items():
        assert scorer.between(f, f) == pytest.approx(1.0, abs=1e-4), name  # type: ignore[attr-defined]
    for (a, fa), (b, fb) in itertools.combinations(found.items(), 2):
        pair = scorer.between(fa, fb)  # type: ignore[attr-defined]
        assert 0.0 <= pair <= 1.0, (a, b)
        assert pair <= 1.0 + 1e-4
    again = scorer.find(panels["moved"], ref)  # type: ignore[attr-defined]
    assert again.vector == found["moved"].vector  # deterministic: eval mode, no dropout
    # The copy guard holds whatever the embeddings say.
    assert {name for name, f in found.items() if f.copy} == {"pasted"}


def test_the_cids_report_runs_on_it(scorer: object, panels: dict[str, bytes]) -> None:  # noqa: F811
    shots = [
        Panel(1, panels["moved"], ("Ines",)),
        Panel(2, panels["scaled"], ("Ines",)),
        Panel(3, panels["pasted"], ("Ines",)),
    ]
    scores = score_panels(scorer, {"Ines": panels["reference"]}, shots)  # type: ignore[arg-type]
    by_shot = {s.shot: s for s in scores}
    assert by_shot[3].copy and by_shot[3].cross is None
    for shot in (1, 2):
        cross, own = by_shot[shot].cross, by_shot[shot].self_score
        assert cross is not None and 0.0 <= cross <= 1.0
        assert own is not None and 0.0 <= own <= 1.0


@pytest.mark.parametrize("where", ["missing-folder", "not/a-cached-model"])
def test_a_missing_model_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    path = str(tmp_path / where) if where == "missing-folder" else where
    monkeypatch.setenv("STORYREEL_IDENTITY_MODEL", path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError) as caught:
        get_scorer("embedding")
    message = str(caught.value)
    assert "\n" not in message
    assert repr(path) in message and "STORYREEL_IDENTITY_MODEL" in message
