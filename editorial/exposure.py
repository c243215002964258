"""Artist exposure across generated playlists: how evenly the engine spreads its picks (no Django).

The one definition the desk home, the fairness page and the experiment results share:

- a *placement* is one track in one ready playlist version;
- its *exposure* goes to the track's lead artist (lowest credited position), so the per-artist
  counts add up to the placements that have an artist;
- the *Gini coefficient* of those per-artist counts: 0 every artist placed equally often,
  towards 1 a few artists take everything (NaN when nothing was placed);
- a placement is *long tail* when its track's popularity is below ``LONG_TAIL_POPULARITY`` or
  unknown — the line the engine's exposure floor enforces (``playlists.composer`` reads an
  unknown popularity as 0), so the share measured here is the one the floor is about;
- the *long-tail share* is long-tail placements over all placements (NaN when none).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

LONG_TAIL_POPULARITY = 30  # playlists.composer.LONG_TAIL_POPULARITY


def gini(counts: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative exposure ``counts`` (NaN for none or all zero)."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    if (values < 0).any():
        raise ValueError("Exposure counts cannot be negative.")
    if values.size == 0 or values.sum() <= 0:
        return math.nan
    ranks = np.arange(1, values.size + 1)
    return float(
        (2 * np.sum(ranks * values)) / (values.size * values.sum()) - (values.size + 1) / values.size
    )


def is_long_tail(popularity: float | None) -> bool:
    return popularity is None or math.isnan(popularity) or popularity < LONG_TAIL_POPULARITY


def long_tail_share(long_tail: int, placements: int) -> float:
    """Long-tail placements over all placements (NaN when nothing was placed)."""
    return long_tail / placements if placements else math.nan


@dataclass(frozen=True)
class ExposureCount:
    """Placements of one lead artist (None: tracks without a credited artist) in some window."""

    artist_id: int | None
    placements: int
    long_tail: int  # of those placements, how many were long tail


@dataclass(frozen=True)
class ExposureSummary:
    placements: int
    artists: int
    gini: float
    long_tail_share: float
    per_artist: dict[int, int]


def exposure_summary(counts: Iterable[ExposureCount]) -> ExposureSummary:
    """Totals, Gini and long-tail share of ``counts``; an artist may appear in several rows
    (one per day, say), whose placements are added up."""
    per_artist: Counter[int] = Counter()
    placements = long_tail = 0
    for count in counts:
        placements += count.placements
        long_tail += count.long_tail
        if count.artist_id is not None:
            per_artist[count.artist_id] += count.placements
    return ExposureSummary(
        placements=placements,
        artists=len(per_artist),
        gini=gini(list(per_artist.values())),
        long_tail_share=long_tail_share(long_tail, placements),
        per_artist=dict(per_artist),
    )


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
