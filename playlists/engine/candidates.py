"""Merging candidate lists from several sources into one de-duplicated pool (no Django imports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass
class CandidatePool:
    """Candidates aligned by row: ids, embeddings, features, tags, artists and where they came from."""

    track_ids: np.ndarray
    embeddings: np.ndarray
    features: dict[str, np.ndarray]
    tags: list[frozenset[str]]
    artist_ids: list[tuple[int, ...]]
    artist_names: list[tuple[str, ...]]
    sources: list[frozenset[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.track_ids)

    def feature(self, name: str) -> np.ndarray:
        values = self.features.get(name)
        return values if values is not None else np.full(len(self), np.nan)


def merge_candidates(
    sources: Mapping[str, Iterable[int]], *, exclude: Iterable[int] = ()
) -> dict[int, set[str]]:
    """Track id -> names of the sources that proposed it, in first-seen order, minus ``exclude``."""
    excluded = set(exclude)
    merged: dict[int, set[str]] = {}
    for source, track_ids in sources.items():
        for track_id in track_ids:
            if track_id in excluded:
                continue
            merged.setdefault(track_id, set()).add(source)
    return merged
