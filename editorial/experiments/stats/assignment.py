"""Deterministic, sticky variant assignment from a pseudonymous id (no Django).

The same pseudonym and salt always land in the same bucket; a new salt per experiment makes
assignments of different experiments independent of each other.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence

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


def balanced_salt(
    pseudonyms: Sequence[str],
    splits: Sequence[tuple[str, float]],
    candidates: Iterable[str],
    *,
    floor: float = 0.8,
) -> str:
    """The first candidate salt that gives every variant at least ``floor`` of its expected share.

    For simulations and demos, which know their listeners before the experiment starts: with a
    handful of listeners a random salt can put them all in one arm. Falls back to the candidate
    whose smallest arm is fullest.
    """
    total = sum(weight for _, weight in splits if weight > 0)
    needed = {name: floor * weight / total * len(pseudonyms) for name, weight in splits if weight > 0}
    best, best_margin = "", -math.inf
    for salt in candidates:
        counts = Counter(variant_for(pseudonym, salt, splits) for pseudonym in pseudonyms)
        margin = min(counts[name] - want for name, want in needed.items())
        if margin >= 0:
            return salt
        if margin > best_margin:
            best, best_margin = salt, margin
    if not best:
        raise ValueError("No candidate salt was given.")
    return best
