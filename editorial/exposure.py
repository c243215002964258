"""Artist exposure across generated playlists: how evenly the engine spreads its picks.

Pure functions on counts (no Django): a Gini coefficient (0 = every artist shown equally,
towards 1 = a few artists take everything), the long-tail share and the most exposed artists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def gini(counts: Sequence[float]) -> float:
    """Gini coefficient of non-negative ``counts``; 0.0 for none, a single artist or equal counts."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    if values.size == 0 or values.sum() <= 0:
        return 0.0
    if (values < 0).any():
        raise ValueError("Exposure counts cannot be negative.")
    ranks = np.arange(1, values.size + 1)
    return float(
        (2 * np.sum(ranks * values)) / (values.size * values.sum()) - (values.size + 1) / values.size
    )


def long_tail_share(counts: Mapping[int, float], long_tail_ids: set[int]) -> float:
    """Share of all placements that went to long-tail artists (0.0 when nothing was placed)."""
    total = sum(counts.values())
    if total <= 0:
        return 0.0
    return sum(count for artist_id, count in counts.items() if artist_id in long_tail_ids) / total


@dataclass(frozen=True)
class Exposed:
    artist_id: int
    count: int
    share: float


def most_exposed(counts: Mapping[int, int], *, limit: int = 10) -> list[Exposed]:
    """The ``limit`` artists with the most placements, ties broken by id for a stable order."""
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [Exposed(artist_id, count, count / total if total else 0.0) for artist_id, count in ranked]
