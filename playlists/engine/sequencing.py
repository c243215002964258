"""Ordering a playlist: smooth tempo/energy/key transitions or a requested energy arc (no Django).

Keys are compared on the Camelot wheel (harmonic mixing): neighbours on the wheel, or the
relative major/minor, mix well; the cost grows with the steps between them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from playlists.engine.lexicon import ENERGY_ARCS


def camelot(key: float, mode: float) -> tuple[int, str] | None:
    """Camelot code of a pitch class (0 = C) and mode (1 major, 0 minor): C major is 8B, A minor 8A."""
    if np.isnan(key) or np.isnan(mode) or key < 0:
        return None
    fifths = (int(key) * 7) % 12
    if int(mode) == 1:
        return (fifths + 7) % 12 + 1, "B"
    return (fifths + 4) % 12 + 1, "A"


def camelot_distance(first: tuple[int, str] | None, second: tuple[int, str] | None) -> int:
    """Steps between two Camelot codes; 0 is the same key, 1 a perfect mix; 3 when unknown."""
    if first is None or second is None:
        return 3
    steps = abs(first[0] - second[0]) % 12
    steps = min(steps, 12 - steps)
    return steps + (0 if first[1] == second[1] else 1)


def transition_costs(
    tempo: np.ndarray, energy: np.ndarray, keys: Sequence[tuple[int, str] | None]
) -> np.ndarray:
    """Pairwise cost of playing track j right after track i."""
    tempo = np.nan_to_num(tempo, nan=float(np.nanmean(tempo)) if np.isfinite(tempo).any() else 120.0)
    energy = np.nan_to_num(energy, nan=0.5)
    tempo_cost = np.abs(tempo[:, None] - tempo[None, :]) / 20.0
    energy_cost = np.abs(energy[:, None] - energy[None, :]) / 0.15
    key_cost = np.array([[camelot_distance(a, b) for b in keys] for a in keys], dtype=float) / 2.0
    return tempo_cost + energy_cost + key_cost


def arc_targets(arc: str | Sequence[float], length: int) -> np.ndarray:
    """Target energy per position for a named arc or a list of targets (resampled to ``length``)."""
    if isinstance(arc, str):
        start, end = ENERGY_ARCS.get(arc, (0.6, 0.6))
        positions = np.linspace(0.0, 1.0, length)
        if arc == "peak":
            return start + (0.9 - start) * (1.0 - np.abs(2.0 * positions - 1.0))
        return start + (end - start) * positions
    points = np.asarray(list(arc), dtype=float)
    if len(points) == 0:
        return np.full(length, 0.6)
    return np.interp(np.linspace(0, len(points) - 1, length), np.arange(len(points)), points)


def sequence(
    *,
    tempo: np.ndarray,
    energy: np.ndarray,
    key: np.ndarray,
    mode: np.ndarray,
    arc: str | Sequence[float] | None = None,
) -> list[int]:
    """An order of the indices 0..n-1: greedy smooth path, or following the energy arc."""
    count = len(tempo)
    if count <= 2:
        return list(range(count))
    energy_filled = np.nan_to_num(energy, nan=0.5)
    if arc is not None:
        return _follow_arc(energy_filled, arc_targets(arc, count))
    keys = [camelot(k, m) for k, m in zip(key, mode, strict=True)]
    costs = transition_costs(tempo, energy, keys)
    # Start from the calmest track so the list opens gently, then always take the smoothest next.
    current = int(np.argmin(energy_filled))
    order = [current]
    unused = np.ones(count, dtype=bool)
    unused[current] = False
    for _ in range(1, count):
        step = np.where(unused, costs[current], np.inf)
        current = int(np.argmin(step))
        order.append(current)
        unused[current] = False
    return order


def _follow_arc(energy: np.ndarray, targets: np.ndarray) -> list[int]:
    """The k-th calmest track goes where the k-th lowest target is (the least total mismatch)."""
    order = np.empty(len(energy), dtype=int)
    order[np.argsort(targets, kind="stable")] = np.argsort(energy, kind="stable")
    return [int(index) for index in order]


def smoothness(
    order: Sequence[int], tempo: np.ndarray, energy: np.ndarray, key: np.ndarray, mode: np.ndarray
) -> float:
    """Mean transition cost along ``order`` (lower is smoother)."""
    if len(order) < 2:
        return 0.0
    keys = [camelot(k, m) for k, m in zip(key, mode, strict=True)]
    costs = transition_costs(tempo, energy, keys)
    return float(np.mean([costs[a, b] for a, b in zip(order, order[1:], strict=False)]))


# The arc was asked for explicitly, so closeness to it outweighs relevance (scaled to 0..1
# among the rows offered, which all fit the prompt already).
ARC_FIT_WEIGHT = 4.0
ARC_FIT_SCALE = 0.2  # energy distance at which the arc fit falls to 1/e


def arc_select(
    *,
    rows: Sequence[int],
    scores: np.ndarray,
    energy: np.ndarray,
    artist_ids: Sequence[tuple[int, ...]],
    targets: np.ndarray,
    cap: int,
) -> list[int]:
    """Fill the positions of an energy arc in order: for each, the best of score + closeness to
    that position's target energy among ``rows`` (already filtered and ranked), keeping the
    artist cap. Returns rows in playing order; shorter when ``rows`` run out.
    """
    energy_filled = np.nan_to_num(energy, nan=0.5)
    remaining = list(rows)
    offered = scores[remaining] if remaining else np.zeros(1)
    low, spread = float(offered.min()), float(offered.max() - offered.min()) or 1.0
    per_artist: dict[int, int] = {}
    chosen: list[int] = []
    for target in targets:
        best, best_value = None, -np.inf
        for row in remaining:
            if any(per_artist.get(artist, 0) >= cap for artist in artist_ids[row]):
                continue
            relevance = (scores[row] - low) / spread
            value = relevance + ARC_FIT_WEIGHT * np.exp(-abs(energy_filled[row] - target) / ARC_FIT_SCALE)
            if value > best_value:
                best, best_value = row, value
        if best is None:
            break
        chosen.append(best)
        remaining.remove(best)
        for artist in artist_ids[best]:
            per_artist[artist] = per_artist.get(artist, 0) + 1
    return chosen


# A requested total length ("an hour", "20 minutes") is met within this share either way.
DURATION_TOLERANCE = 0.10
# What a track of unknown length is counted as (the catalogs' typical length).
UNKNOWN_TRACK_MS = 215_000


def fill_duration(
    rows: Sequence[int],
    durations_ms: np.ndarray,
    target_ms: float,
    *,
    already_ms: float = 0.0,
    tolerance: float = DURATION_TOLERANCE,
) -> list[int]:
    """Rows, taken in the given (best-first) order, whose lengths add up to ``target_ms``.

    A row that would overshoot ``target_ms * (1 + tolerance)`` is passed over for a shorter
    one further down; the fill stops once the target is reached. ``already_ms`` counts tracks
    placed before (pins). The total may fall short when the rows run out: see ``fill_total_ms``.
    """
    ceiling = target_ms * (1.0 + tolerance)
    chosen: list[int] = []
    total = already_ms
    for row in rows:
        if total >= target_ms:
            break
        length = track_length_ms(durations_ms[row])
        if total + length <= ceiling:
            chosen.append(row)
            total += length
    return chosen


def track_length_ms(value: float) -> float:
    return UNKNOWN_TRACK_MS if np.isnan(value) or value <= 0 else float(value)


def fill_total_ms(rows: Sequence[int], durations_ms: np.ndarray) -> float:
    return float(sum(track_length_ms(durations_ms[row]) for row in rows))


def duration_met(total_ms: float, target_ms: float, tolerance: float = DURATION_TOLERANCE) -> bool:
    return abs(total_ms - target_ms) <= tolerance * target_ms
