"""Which theme a prompt belongs to (pure: unit vectors in, a choice out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ThemeMatch:
    theme_id: int
    similarity: float


def best_theme(
    prompt_vector: np.ndarray, theme_vectors: Mapping[int, np.ndarray], *, threshold: float
) -> ThemeMatch | None:
    """The theme whose closest text (description or example prompt) is nearest the prompt,
    if that cosine similarity reaches ``threshold``; vectors are unit length, one row a text."""
    best: ThemeMatch | None = None
    for theme_id, vectors in theme_vectors.items():
        if len(vectors) == 0:
            continue
        similarity = float(np.max(vectors @ prompt_vector))
        if similarity >= threshold and (best is None or similarity > best.similarity):
            best = ThemeMatch(theme_id, round(similarity, 4))
    return best
