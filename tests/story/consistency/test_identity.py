"""CIDS-style report: cross and self per panel and character, copies excluded from the
means; the embedding scorer is tested only where its extra and local weights exist."""

from __future__ import annotations

import pytest

from storyreel.errors import ConfigError, InputError
from storyreel.story.consistency.identity import (
    Panel,
    get_scorer,
    panel_badge,
    report,
    score_panels,
)

from .test_offline import panels  # noqa: F401 - the known image set, as a fixture


def test_cross_self_and_copy_per_panel_and_character(panels: dict[str, bytes]) -> None:  # noqa: F811
    shots = [
        Panel(1, panels["moved"], ("Ines",)),
        Panel(2, panels["scaled"], ("Ines",)),
        Panel(3, panels["recoloured"], ("Ines",)),
        Panel(4, panels["pasted"], ("Ines",)),
        Panel(5, panels["moved"], ("Nobody",)),  # no reference: not scored
    ]
    scores = score_panels(get_scorer("offline"), {"Ines": panels["reference"]}, shots)
    by_shot = {s.shot: s for s in scores}
    assert set(by_shot) == {1, 2, 3, 4}
    assert by_shot[4].copy and by_shot[4].cross is None and by_shot[4].self_score is None
    assert by_shot[1].cross is not None and by_shot[3].cross is not None
    assert by_shot[1].cross > by_shot[3].cross
    assert by_shot[1].self_score is not None and by_shot[3].self_score is not None
    assert by_shot[1].self_score > by_shot[3].self_score  # the odd one out agrees least
    out = report("offline", scores)
    assert out["story"]["copies"] == 1 and out["characters"]["Ines"]["copies"] == 1
    crosses = [s.cross for s in scores if s.cross is not None]
    assert out["story"]["cross"] == pytest.approx(sum(crosses) / len(crosses), abs=1e-4)
    assert panel_badge(scores, 4) == "COPY"
    assert panel_badge(scores, 1) == f"ID {by_shot[1].cross:.2f}"
    assert panel_badge(scores, 5) is None


def test_an_unknown_scorer_is_one_input_error() -> None:
    with pytest.raises(InputError, match="unknown scorer 'clip'"):
        get_scorer("clip")


def test_the_embedding_scorer_ranks_like_the_offline_one(panels: dict[str, bytes]) -> None:  # noqa: F811
    pytest.importorskip("transformers")
    try:
        scorer = get_scorer("embedding")
    except ConfigError as exc:  # no local weights: never downloaded
        pytest.skip(f"no local DINOv2 weights: {exc}")
    ref = scorer.reference(panels["reference"])
    moved = scorer.find(panels["moved"], ref)
    replaced = scorer.find(panels["replaced"], ref)
    assert moved.similarity > replaced.similarity
