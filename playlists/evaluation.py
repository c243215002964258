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
