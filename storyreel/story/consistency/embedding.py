"""The embedding identity scorer: DINOv2 (or CLIP) image embeddings through ``transformers``.

Optional (``pip install 'storyreel[identity]'``) and offline: the model is loaded from a
local folder (``STORYREEL_IDENTITY_MODEL``) or the Hugging Face cache only, never fetched.
The character is located in a panel by the offline scorer (colour windows), and the
similarity is the cosine of the embeddings of the reference figure and that region, mapped
to 0-1. It sees shape, texture and pose far better than colours alone; it still sees no
face identity (ArcFace-style face scores are not part of it).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from storyreel.config import load_settings
from storyreel.errors import ConfigError

from .offline import Figure, Found, locate, reference_figure


@dataclass(frozen=True)
class Embedded:
    vector: tuple[float, ...]
    similarity: float = 0.0
    copy: bool = False


def _cosine(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = (sum(x * x for x in a) ** 0.5) * (sum(y * y for y in b) ** 0.5) or 1.0
    return max(0.0, min(1.0, (dot / norm + 1) / 2))


class EmbeddingScorer:
    """The ``embedding`` scorer."""

    name = "embedding"

    def __init__(self, model: str | None = None) -> None:
        import torch  # noqa: F401 - fail early, as an ImportError, without the extra
        from transformers import AutoImageProcessor, AutoModel

        path = model or load_settings().identity_model
        try:
            self.processor: Any = AutoImageProcessor.from_pretrained(  # type: ignore[no-untyped-call]
                path, local_files_only=True
            )
            self.model: Any = AutoModel.from_pretrained(path, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            # A missing folder or an uncached hub name surfaces from transformers as a
            # long OSError/ValueError; the user needs one line saying what to set.
            raise ConfigError(
                f"the embedding scorer's model {path!r} is neither a local model folder nor "
                "in the Hugging Face cache (it is never downloaded): set "
                "STORYREEL_IDENTITY_MODEL to a folder holding DINOv2 or CLIP weights"
            ) from exc

    def _embed(self, img: Image.Image) -> tuple[float, ...]:
        import torch

        with torch.no_grad():
            inputs = self.processor(images=img.convert("RGB"), return_tensors="pt")
            out = self.model(**inputs)
            hidden = getattr(out, "pooler_output", None)
            if hidden is None:
                hidden = out.last_hidden_state[:, 0]
        return tuple(float(v) for v in hidden[0])

    def reference(self, data: bytes) -> tuple[Figure, Embedded]:
        figure = reference_figure(data)
        return figure, Embedded(self._embed(figure.image))

    def find(self, panel: bytes, ref: tuple[Figure, Embedded]) -> Embedded:
        figure, embedded = ref
        found: Found = locate(panel, figure)
        with Image.open(io.BytesIO(panel)) as source:
            region = source.convert("RGB").crop(found.box)
        vector = self._embed(region)
        return Embedded(vector, round(_cosine(vector, embedded.vector), 4), found.copy)

    def between(self, a: Embedded, b: Embedded) -> float:
        return round(_cosine(a.vector, b.vector), 4)
