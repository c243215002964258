"""Deterministic, sticky variant assignment from a pseudonymous id (no Django).

The same pseudonym and salt always land in the same bucket; a new salt per experiment makes
assignments of different experiments independent of each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_BUCKET_HEX_DIGITS = 15


def bucket(pseudonym: str, salt: str) -> float:
    """A uniform number in [0, 1) fixed by ``pseudonym`` and ``salt``."""
    digest = hashlib.sha256(f"{salt}:{pseudonym}".encode()).hexdigest()
    return int(digest[:_BUCKET_HEX_DIGITS], 16) / 16**_BUCKET_HEX_DIGITS


def variant_for(pseudonym: str, salt: str, splits: Sequence[tuple[str, float]]) -> str:
    """The variant whose share of traffic covers this pseudonym's bucket.

    ``splits`` are (variant name, traffic weight) in a fixed order; weights need not sum to 1.
    """
    total = sum(weight for _, weight in splits if weight > 0)
    if total <= 0:
        raise ValueError("At least one variant needs a positive traffic share.")
    point = bucket(pseudonym, salt) * total
    cumulative = 0.0
    chosen = splits[-1][0]
    for name, weight in splits:
        if weight <= 0:
            continue
        cumulative += weight
        chosen = name
        if point < cumulative:
            return name
    return chosen
