"""A listener's taste from what they played (no Django imports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

FULL_PLAY_MS = 30_000  # Spotify counts a stream from 30 s
SKIP_WEIGHT = 0.1


def play_weight(*, ms_played: int, skipped: bool) -> float:
    """How much one play says the listener likes the track: a skip little, a full play 1."""
    if skipped:
        return SKIP_WEIGHT
    return min(1.0, ms_played / FULL_PLAY_MS) if ms_played < FULL_PLAY_MS else 1.0


def taste_vector(embeddings: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """Unit-length weighted mean of the played tracks' embeddings; None without plays."""
    if len(embeddings) == 0 or float(weights.sum()) <= 0:
        return None
    mean = (embeddings * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def favourite_artists(artist_weights: Iterable[tuple[str, float]], *, top: int = 5) -> tuple[str, ...]:
    totals: defaultdict[str, float] = defaultdict(float)
    for name, weight in artist_weights:
        totals[name] += weight
    return tuple(sorted(totals, key=lambda name: -totals[name])[:top])


def tag_profile(track_tags: Sequence[Iterable[str]], weights: Sequence[float]) -> dict[str, float]:
    """Share of the listener's play weight on each tag (0..1)."""
    totals: defaultdict[str, float] = defaultdict(float)
    for tags, weight in zip(track_tags, weights, strict=True):
        for tag in tags:
            totals[tag] += weight
    whole = sum(weights) or 1.0
    return {tag: value / whole for tag, value in totals.items()}


def tag_affinity(pool_tags: Sequence[frozenset[str]], profile: Mapping[str, float]) -> np.ndarray:
    """Per candidate, the best share of the listener's plays among its tags."""
    return np.array([max((profile.get(tag, 0.0) for tag in tags), default=0.0) for tags in pool_tags])


@dataclass(frozen=True)
class TasteProfile:
    """What a listener's plays say beyond the taste vector: tags, artists and era they favour."""

    tag_shares: Mapping[str, float] = field(default_factory=dict)
    artist_shares: Mapping[int, float] = field(default_factory=dict)
    year_range: tuple[float, float] | None = None
    popularity_range: tuple[float, float] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.tag_shares or self.artist_shares or self.year_range)


def taste_profile(
    *,
    track_tags: Sequence[Iterable[str]],
    track_artists: Sequence[Iterable[int]],
    years: np.ndarray,
    popularity: np.ndarray,
    weights: np.ndarray,
) -> TasteProfile:
    whole = float(weights.sum()) or 1.0
    artists: defaultdict[int, float] = defaultdict(float)
    for artist_ids, weight in zip(track_artists, weights, strict=True):
        for artist_id in artist_ids:
            artists[artist_id] += float(weight)
    return TasteProfile(
        tag_shares=tag_profile(track_tags, [float(weight) for weight in weights]),
        artist_shares={artist: value / whole for artist, value in artists.items()},
        year_range=_usual_range(years),
        popularity_range=_usual_range(popularity),
    )


def _usual_range(values: np.ndarray, *, minimum: int = 3) -> tuple[float, float] | None:
    """The middle 70% of the known values; None with fewer than ``minimum``."""
    known = values[~np.isnan(values)]
    if len(known) < minimum:
        return None
    low, high = np.percentile(known, [15, 85])
    return float(low), float(high)


# How much each part of the profile counts next to the tag share (0..1).
ARTIST_WEIGHT = 1.0
YEAR_WEIGHT = 0.5
YEAR_SCALE = 3.0  # years outside the listener's usual range before the fit halves
POPULARITY_WEIGHT = 0.5
POPULARITY_SCALE = 10.0


def profile_affinity(
    *,
    pool_tags: Sequence[frozenset[str]],
    pool_artists: Sequence[tuple[int, ...]],
    pool_years: np.ndarray,
    pool_popularity: np.ndarray,
    profile: TasteProfile,
) -> np.ndarray:
    """Per candidate: share of the listener's plays on its tags and artists, and era/popularity fit."""
    scores = tag_affinity(pool_tags, profile.tag_shares)
    top_artist = max(profile.artist_shares.values(), default=0.0) or 1.0
    artist_share = [
        max((profile.artist_shares.get(artist, 0.0) for artist in artists), default=0.0)
        for artists in pool_artists
    ]
    scores += ARTIST_WEIGHT * np.array(artist_share) / top_artist
    if profile.year_range is not None:
        scores += YEAR_WEIGHT * _range_closeness(pool_years, profile.year_range, YEAR_SCALE)
    if profile.popularity_range is not None:
        scores += POPULARITY_WEIGHT * _range_closeness(
            pool_popularity, profile.popularity_range, POPULARITY_SCALE
        )
    return scores


def _range_closeness(values: np.ndarray, bounds: tuple[float, float], scale: float) -> np.ndarray:
    low, high = bounds
    distance = np.maximum(low - values, 0.0) + np.maximum(values - high, 0.0)
    return np.where(np.isnan(values), 0.5, np.power(0.5, distance / scale))
