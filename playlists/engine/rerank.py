"""Re-ranking: blocked tracks out, pins in, MMR diversity, artist cap, exposure floor (no Django)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# Embedding similarity above which two tracks are the same recording (remaster, re-release).
NEAR_DUPLICATE = 0.97


@dataclass(frozen=True)
class RerankRules:
    max_per_artist: int = 2
    per_tracks: int = 30
    diversity: float = 0.25  # MMR: score units taken off per unit of similarity to a chosen track
    exposure_floor: float = 0.0  # minimum share of long-tail tracks, 0 to disable


@dataclass
class RerankResult:
    rows: list[int]
    pinned_rows: dict[int, int] = field(default_factory=dict)  # row -> position hint
    relaxed: list[str] = field(default_factory=list)


def artist_cap(size: int, rules: RerankRules) -> int:
    return max(1, math.ceil(rules.max_per_artist * size / rules.per_tracks))


def rerank(
    *,
    scores: np.ndarray,
    embeddings: np.ndarray,
    artist_ids: Sequence[tuple[int, ...]],
    size: int,
    blocked: np.ndarray,
    pinned: Sequence[tuple[int, int]] = (),
    long_tail: np.ndarray | None = None,
    rules: RerankRules = RerankRules(),
) -> RerankResult:
    """Rows of the chosen tracks in choice order; blocked rows never appear."""
    allowed = ~blocked
    result = RerankResult(rows=[])
    cap = artist_cap(size, rules)
    per_artist: Counter[int] = Counter()
    for row, position in pinned:
        if allowed[row] and row not in result.rows and len(result.rows) < size:
            result.rows.append(row)
            result.pinned_rows[row] = position
            per_artist.update(artist_ids[row])
    order = [int(row) for row in np.argsort(-scores) if allowed[row] and row not in result.pinned_rows]
    pool = order[: max(6 * size, 200)]
    _greedy_fill(result, pool, scores, embeddings, artist_ids, size, cap, per_artist, long_tail, rules)
    if len(result.rows) < size and len(order) > len(result.rows):
        # Not enough artists to keep the cap: fill up, and say so.
        before = len(result.rows)
        remaining = [row for row in order if row not in set(result.rows)]
        _greedy_fill(result, remaining, scores, embeddings, artist_ids, size, size, per_artist, None, rules)
        if len(result.rows) > before:
            result.relaxed.append(f"artist cap: more than {cap} tracks by one artist (too few artists match)")
    return result


def _greedy_fill(
    result: RerankResult,
    pool: list[int],
    scores: np.ndarray,
    embeddings: np.ndarray,
    artist_ids: Sequence[tuple[int, ...]],
    size: int,
    cap: int,
    per_artist: Counter[int],
    long_tail: np.ndarray | None,
    rules: RerankRules,
) -> None:
    chosen = set(result.rows)
    candidates = [row for row in pool if row not in chosen]
    if not candidates:
        return
    cand = np.array(candidates)
    max_sim = np.full(len(cand), -1.0)
    for row in result.rows:
        max_sim = np.maximum(max_sim, embeddings[cand] @ embeddings[row])
    alive = np.ones(len(cand), dtype=bool)
    tail_needed = math.ceil(rules.exposure_floor * size) if long_tail is not None else 0
    tail_have = sum(1 for row in result.rows if long_tail is not None and long_tail[row])
    while len(result.rows) < size and alive.any():
        mmr = scores[cand] - rules.diversity * np.maximum(max_sim, 0.0)
        mmr = np.where(alive, mmr, -np.inf)
        if (
            long_tail is not None
            and tail_have < tail_needed
            and size - len(result.rows) <= tail_needed - tail_have
        ):
            tail_mask = long_tail[cand] & alive
            if tail_mask.any():
                mmr = np.where(tail_mask, mmr, -np.inf)
        pick = int(np.argmax(mmr))
        if not np.isfinite(mmr[pick]):
            break
        alive[pick] = False
        row = int(cand[pick])
        if any(per_artist[artist] >= cap for artist in artist_ids[row]) or max_sim[pick] >= NEAR_DUPLICATE:
            continue
        result.rows.append(row)
        per_artist.update(artist_ids[row])
        if long_tail is not None and long_tail[row]:
            tail_have += 1
        max_sim = np.maximum(max_sim, embeddings[cand] @ embeddings[row])
