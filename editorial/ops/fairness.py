"""Fairness toward artists and variety for listeners (no Django)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

LONG_TAIL_POPULARITY = 30  # the engine's line (playlists.composer.LONG_TAIL_POPULARITY)


def gini(counts: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of exposure counts: 0 every artist equally often, towards 1 a few take all."""
    values = np.sort(np.asarray(counts, dtype=float))
    n = values.size
    if n == 0 or values.sum() == 0:
        return math.nan
    ranks = np.arange(1, n + 1)
    return float((2 * np.sum(ranks * values)) / (n * values.sum()) - (n + 1) / n)


def long_tail_share(popularities: Sequence[float | None], *, threshold: int = LONG_TAIL_POPULARITY) -> float:
    """Share of items whose track popularity is below ``threshold`` (unknown counts as not)."""
    if not popularities:
        return math.nan
    return sum(1 for value in popularities if value is not None and value < threshold) / len(popularities)


def genre_coverage(genres_seen: Iterable[str], catalog_genres: int) -> float:
    """Share of the catalog's genres that appeared at least once."""
    return len(set(genres_seen)) / catalog_genres if catalog_genres else math.nan


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
