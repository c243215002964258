"""Hybrid scoring: named, weighted components per candidate (no Django imports)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from playlists.engine.candidates import CandidatePool

COMPONENTS = ("semantic", "feature_fit", "tag_match", "taste", "popularity", "discovery")

# How far outside a range a value may be before its fit halves, per feature unit.
FIT_SCALES = {
    "tempo": 12.0,
    "popularity": 10.0,
    "loudness": 3.0,
    "duration_ms": 20_000.0,
    "release_year": 3.0,
}
DEFAULT_FIT_SCALE = 0.06


@dataclass(frozen=True)
class Weights:
    semantic: float = 1.0
    feature_fit: float = 2.0
    tag_match: float = 2.0
    taste: float = 1.0
    popularity: float = 0.15
    discovery: float = 0.3

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, float]) -> Weights:
        return cls(**{name: float(value) for name, value in data.items() if name in COMPONENTS})


@dataclass(frozen=True)
class RangeSpec:
    low: float
    high: float
    weight: float = 1.0


def range_fit(values: np.ndarray, spec: RangeSpec, scale: float) -> np.ndarray:
    """1 inside [low, high], halving every ``scale`` outside; unknown values fit 0.5."""
    distance = np.maximum(spec.low - values, 0.0) + np.maximum(values - spec.high, 0.0)
    fit = np.power(0.5, distance / scale)
    return np.where(np.isnan(values), 0.5, fit)


def feature_fit(pool: CandidatePool, ranges: Mapping[str, RangeSpec]) -> np.ndarray:
    if not ranges:
        return np.zeros(len(pool))
    total = np.zeros(len(pool))
    weight_sum = 0.0
    for feature, spec in ranges.items():
        scale = FIT_SCALES.get(feature, DEFAULT_FIT_SCALE)
        total += spec.weight * range_fit(pool.feature(feature), spec, scale)
        weight_sum += spec.weight
    return total / weight_sum if weight_sum else total


def tag_match(pool: CandidatePool, include: Mapping[str, float], avoid: Collection[str]) -> np.ndarray:
    """Best confidence among the included tags a track carries, minus half for an avoided one."""
    avoid_set = set(avoid)
    scores = np.zeros(len(pool))
    for row, tags in enumerate(pool.tags):
        best = max((include[tag] for tag in tags if tag in include), default=0.0)
        penalty = 0.5 if avoid_set and tags & avoid_set else 0.0
        scores[row] = best - penalty
    return scores


def score_candidates(
    pool: CandidatePool,
    *,
    query_vector: np.ndarray,
    ranges: Mapping[str, RangeSpec],
    include_tags: Mapping[str, float],
    avoid_tags: Collection[str] = (),
    taste_vector: np.ndarray | None = None,
    affinity: np.ndarray | None = None,
    taste_tags: np.ndarray | None = None,
    heard: np.ndarray | None = None,
    weights: Weights,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Total score per candidate and its components, each roughly on a 0..1 scale."""
    count = len(pool)
    components = {
        "semantic": pool.embeddings @ query_vector if count else np.zeros(0),
        "feature_fit": feature_fit(pool, ranges),
        "tag_match": tag_match(pool, include_tags, avoid_tags),
        "taste": _taste(pool, taste_vector, affinity, taste_tags),
        "popularity": np.nan_to_num(pool.feature("popularity"), nan=30.0) / 100.0,
        "discovery": (1.0 - heard.astype(float)) if heard is not None else np.zeros(count),
    }
    weight_map = weights.to_dict()
    total = np.zeros(count)
    for name, values in components.items():
        total += weight_map[name] * values
    return total, components


def _taste(
    pool: CandidatePool,
    taste_vector: np.ndarray | None,
    affinity: np.ndarray | None,
    taste_tags: np.ndarray | None,
) -> np.ndarray:
    """Closeness to the listener's taste vector, plus their own plays and their tags' share."""
    taste = np.zeros(len(pool))
    if taste_vector is not None and len(pool):
        taste += pool.embeddings @ taste_vector
    if affinity is not None and len(pool) and affinity.max() > 0:
        taste += 0.5 * affinity / affinity.max()
    if taste_tags is not None and len(pool):
        taste += taste_tags
    return taste


# Personalization's components: they order the tracks that fit the prompt, never choose others.
PERSONAL_COMPONENTS = ("taste", "discovery")
# Taste chooses among the tracks that fit the prompt: the PROMPT_FIT_FACTOR x size the prompt
# ranks best by itself (30 of the best 45), and beyond them every track that matches the
# prompt's genres and moods as well as its own size best do (tag_match and feature_fit no lower
# than theirs, less PROMPT_FIT_TOLERANCE): such tracks differ from the prompt's picks only in
# word similarity or popularity, so noise does not cut them, and nothing that fits less comes in.
PROMPT_FIT_FACTOR = 1.5
PROMPT_FIT_TOLERANCE = 0.05
FIT_COMPONENTS = ("tag_match", "feature_fit")
# "Close to your taste" is said of a track only when taste moved it up at least this many places
# in the ranking (against the ranking by the prompt alone).
TASTE_MOVE_MIN_PLACES = 5


def prompt_scores(
    total: np.ndarray, components: Mapping[str, np.ndarray], weights: Weights, *, keep: Collection[str] = ()
) -> np.ndarray:
    """The scores without personalization (``keep`` names personal components the prompt asked
    for, e.g. "discovery" turned round for "my favourites")."""
    weight_map = weights.to_dict()
    scores = total.copy()
    for name in PERSONAL_COMPONENTS:
        if name not in keep and name in components:
            scores -= weight_map[name] * components[name]
    return scores


def prompt_fit_mask(
    scores_by_prompt: np.ndarray, allowed: np.ndarray, components: Mapping[str, np.ndarray], *, size: int
) -> np.ndarray:
    """True for the allowed rows that fit the prompt (see PROMPT_FIT_FACTOR): the rows taste may order."""
    mask = np.zeros(len(scores_by_prompt), dtype=bool)
    order = np.array([row for row in np.argsort(-scores_by_prompt, kind="stable") if allowed[row]], dtype=int)
    if not len(order):
        return mask
    mask[order[: math.ceil(PROMPT_FIT_FACTOR * size)]] = True
    fits_as_well = np.ones(len(order), dtype=bool)
    for name in FIT_COMPONENTS:
        values = components[name]
        floor = float(values[order[:size]].min()) - PROMPT_FIT_TOLERANCE
        fits_as_well &= values[order] >= floor
    mask[order[fits_as_well]] = True
    return mask


def places_moved(scores_by_prompt: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per row: how many places up the full score moved it against the prompt-only ranking."""
    count = len(scores)
    prompt_rank = np.empty(count, dtype=int)
    prompt_rank[np.argsort(-scores_by_prompt, kind="stable")] = np.arange(count)
    full_rank = np.empty(count, dtype=int)
    full_rank[np.argsort(-scores, kind="stable")] = np.arange(count)
    return prompt_rank - full_rank
