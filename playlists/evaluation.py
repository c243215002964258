"""Offline evaluation helpers (no Django imports): reading benchmark files and the metrics."""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """One JSON object per line, gzip-compressed when the name ends in .gz."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def precision_at_k(generated: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for item in generated[:k] if item in relevant) / k if k else 0.0


def ndcg_at_k(generated: Sequence[str], relevant: set[str], k: int) -> float:
    gains = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(generated[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gains / ideal if ideal else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


# --- the prompt suite: expected intent fields (tests/playlists/prompts) --------------------------

# Which side of a feature's scale a "low"/"high" expectation means, in the feature's units
# (a soft or hard range counts; "not_low"/"not_high" mean the range keeps clear of that end,
# "mid" of both).
DIRECTION_LIMITS: dict[str, tuple[float, float]] = {
    "energy": (0.6, 0.5),
    "valence": (0.45, 0.5),
    "danceability": (0.6, 0.6),
    "acousticness": (0.4, 0.4),
    "instrumentalness": (0.3, 0.4),
    "liveness": (0.5, 0.6),
    "speechiness": (0.3, 0.3),
    "tempo": (120.0, 110.0),
    "popularity": (50.0, 50.0),
    "loudness": (-5.0, -10.0),
    "mode": (0.0, 1.0),
}
OPEN_LOW = {"tempo": 40.0, "era": 1900, "track_seconds": 1.0}
OPEN_HIGH = {"tempo": 250.0, "era": 2090, "track_seconds": 3000.0}


def _direction_holds(low: float, high: float, feature: str, wanted: str) -> bool:
    low_limit, high_limit = DIRECTION_LIMITS[feature]
    if wanted in ("low", "minor"):
        return high <= low_limit
    if wanted in ("high", "major"):
        return low >= high_limit
    if wanted == "not_low":
        return low > 0.0 and low >= (low_limit * 0.5 if feature != "loudness" else -60)
    if wanted == "not_high":
        return high < (1.0 if feature not in ("tempo", "popularity") else 200.0) and high <= max(
            high_limit * 1.6, high_limit + 0.3
        )
    if wanted == "mid":
        return _direction_holds(low, high, feature, "not_low") and _direction_holds(
            low, high, feature, "not_high"
        )
    raise ValueError(f"unknown direction {wanted!r}")


def _bounds_hold(got: tuple[float, float] | None, expected: list[float | None], name: str) -> bool:
    if got is None:
        return False
    low, high = got
    want_low, want_high = expected
    low_ok = low <= OPEN_LOW[name] if want_low is None else abs(low - want_low) <= 2
    high_ok = high >= OPEN_HIGH[name] if want_high is None else abs(high - want_high) <= 2
    return low_ok and high_ok


def intent_field_checks(intent: Any, expect: dict[str, Any]) -> list[tuple[str, bool]]:
    """One (field, right?) pair per expected field of a suite row, for field accuracy."""
    checks: list[tuple[str, bool]] = []
    hard = {name: (spec.low, spec.high) for name, spec in intent.feature_ranges.items() if spec.hard}
    for key, wanted in expect.items():
        if key == "include":
            checks.append((key, set(wanted) <= set(intent.include_tag_names())))
        elif key == "exclude":
            checks.append((key, set(wanted) <= set(intent.exclude_tags)))
        elif key in ("exclude_artists", "seed_artists", "unknown_artists"):
            checks.append((key, {w.lower() for w in wanted} <= {a.lower() for a in getattr(intent, key)}))
        elif key == "era":
            checks.append((key, _bounds_hold(intent.era, wanted, "era")))
        elif key == "tempo":
            checks.append((key, _bounds_hold(hard.get("tempo"), wanted, "tempo")))
        elif key == "track_seconds":
            got = hard.get("duration_ms")
            seconds = (got[0] / 1000, got[1] / 1000) if got else None
            checks.append((key, _bounds_hold(seconds, wanted, "track_seconds")))
        elif key == "duration_minutes":
            got = intent.duration_seconds
            checks.append((key, got is not None and abs(got / 60 - wanted) <= 1))
        elif key in ("size", "activity", "nothing_understood", "language", "energy_arc", "clean"):
            checks.append((key, getattr(intent, key) == wanted))
        elif key == "feel":
            for feature, direction in wanted.items():
                spec = intent.feature_ranges.get(feature)
                held = spec is not None and _direction_holds(spec.low, spec.high, feature, direction)
                checks.append((f"feel.{feature}", held))
        else:
            raise ValueError(f"unknown expectation {key!r}")
    return checks
