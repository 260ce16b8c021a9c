"""Identity scores per panel and character, reported as ViStoryBench reports CIDS.

For every panel and every character in it:

* ``cross``: the character in the panel against its reference (the user's image or its
  sheet): ViStoryBench's *cross* CIDS;
* ``self``: the mean of the character in this panel against the same character in each other
  panel it appears in: ViStoryBench's *self* CIDS;
* ``copy``: the panel contains the reference pasted unchanged (a near-copy scores as a copy,
  not as consistent, and is left out of the means).

Scorers are pluggable (``render.scorer``): ``offline`` (pixels, always available) and
``embedding`` (DINOv2/CLIP through ``transformers``, optional extra, local weights only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Protocol

from storyreel.errors import ConfigError, InputError


class Scorer(Protocol):
    name: str

    def reference(self, data: bytes) -> Any: ...

    def find(self, panel: bytes, ref: Any) -> Any: ...

    def between(self, a: Any, b: Any) -> float: ...


def get_scorer(name: str) -> Scorer:
    """The scorer ``render.scorer`` names."""
    if name == "offline":
        from .offline import OfflineScorer  # imported on use: numpy is not every command's

        return OfflineScorer()
    if name == "embedding":
        try:
            from .embedding import EmbeddingScorer
        except ImportError as exc:
            raise ConfigError(
                "the embedding scorer needs the optional extra: pip install 'storyreel[identity]'"
            ) from exc
        scorer: Scorer = EmbeddingScorer()
        return scorer
    raise InputError(f"unknown scorer {name!r}; scorers are: offline, embedding")


@dataclass(frozen=True)
class PanelScore:
    shot: int
    character: str
    cross: float | None
    self_score: float | None
    copy: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "shot": self.shot,
            "character": self.character,
            "cross": self.cross,
            "self": self.self_score,
            "copy": self.copy,
        }


@dataclass(frozen=True)
class Panel:
    shot: int
    image: bytes
    characters: tuple[str, ...]


def find_characters(scorer: Scorer, refs: dict[str, Any], panel: Panel) -> dict[str, Any]:
    """Each character of the panel that has a reference, located in it (``scorer.find``):
    the costly part of scoring, done for a panel as soon as it exists."""
    return {name: scorer.find(panel.image, refs[name]) for name in panel.characters if name in refs}


def scores_of(scorer: Scorer, found: dict[tuple[int, str], Any]) -> list[PanelScore]:
    """Cross, self and copy from every (shot, character) located: self compares what was
    found, so it needs every panel but no new search."""
    scores = []
    for (shot, name), here in found.items():
        others = [
            scorer.between(here, there)
            for (other, who), there in found.items()
            if who == name and other != shot and not there.copy
        ]
        scores.append(
            PanelScore(
                shot=shot,
                character=name,
                cross=None if here.copy else round(float(here.similarity), 4),
                self_score=round(fmean(others), 4) if others and not here.copy else None,
                copy=bool(here.copy),
            )
        )
    return sorted(scores, key=lambda s: (s.shot, s.character))


def score_panels(
    scorer: Scorer, references: dict[str, bytes], panels: Sequence[Panel]
) -> list[PanelScore]:
    """Cross, self and copy for every (panel, character with a reference)."""
    refs = {name: scorer.reference(data) for name, data in references.items()}
    found = {
        (panel.shot, name): here
        for panel in panels
        for name, here in find_characters(scorer, refs, panel).items()
    }
    return scores_of(scorer, found)


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(fmean(kept), 4) if kept else None


def report(scorer: str, scores: Sequence[PanelScore]) -> dict[str, Any]:
    """The manifest's ``consistency`` section: per panel, per character, for the story."""
    names = sorted({s.character for s in scores})
    return {
        "scorer": scorer,
        "metric": "CIDS-style identity similarity, 0-1 (cross: vs reference; self: vs the "
        "character's other panels); copies are excluded from the means",
        "panels": [s.as_dict() for s in scores],
        "characters": {
            name: {
                "cross": _mean([s.cross for s in scores if s.character == name]),
                "self": _mean([s.self_score for s in scores if s.character == name]),
                "copies": sum(1 for s in scores if s.character == name and s.copy),
            }
            for name in names
        },
        "story": {
            "cross": _mean([s.cross for s in scores]),
            "self": _mean([s.self_score for s in scores]),
            "copies": sum(1 for s in scores if s.copy),
        },
    }


def panel_badge(scores: Sequence[PanelScore], shot: int) -> str | None:
    """The contact sheet's badge for a panel: its lowest cross score, or COPY."""
    mine = [s for s in scores if s.shot == shot]
    if not mine:
        return None
    if any(s.copy for s in mine):
        return "COPY"
    crosses = [s.cross for s in mine if s.cross is not None]
    return f"ID {min(crosses):.2f}" if crosses else None
