"""Variety for listeners and genre coverage (no Django).

Artist exposure (its Gini, the long tail) is defined once, in editorial.exposure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def genre_coverage(genres_seen: int, catalog_genres: int) -> float:
    """Share of the catalog's genres that appeared at least once."""
    return genres_seen / catalog_genres if catalog_genres else math.nan


def list_diversity(artists_per_item: Sequence[Sequence[int]]) -> float:
    """Distinct lead artists over tracks in one list (1: every track by another artist)."""
    if not artists_per_item:
        return math.nan
    leads = {artists[0] for artists in artists_per_item if artists}
    return len(leads) / len(artists_per_item)


def intra_list_diversity(embeddings: np.ndarray) -> float:
    """1 - mean pairwise cosine similarity of a list's track embeddings (0: all alike)."""
    if len(embeddings) < 2:
        return math.nan
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.where(norms == 0, 1.0, norms)
    similarity = unit @ unit.T
    n = len(unit)
    return float(1.0 - (similarity.sum() - np.trace(similarity)) / (n * (n - 1)))
