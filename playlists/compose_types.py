"""What composing a playlist takes and gives: the listener's context, editorial rules and pins, the
composition with its items (``playlists.composer`` composes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playlists.engine.intent import Intent

STAGES = ("parse", "candidates", "score", "rerank", "sequence", "explain")


LONG_TAIL_POPULARITY = 30


@dataclass(frozen=True)
class ListenerContext:
    """What personalization may use; built by the caller, empty when it is not allowed."""

    taste_vector: np.ndarray | None = None  # 384-d, unit length
    heard_track_ids: frozenset[int] = frozenset()
    track_affinity: Mapping[int, float] = field(default_factory=dict)  # track id -> likes/plays weight
    favourite_artist_names: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return (
            self.taste_vector is None
            and not self.heard_track_ids
            and not self.track_affinity
            and not self.favourite_artist_names
        )


@dataclass(frozen=True)
class Pin:
    track_id: int
    position: int = 0  # 0-based position hint


@dataclass(frozen=True)
class EditorialRules:
    blocked_track_ids: frozenset[int] = frozenset()
    blocked_artist_ids: frozenset[int] = frozenset()
    pinned: tuple[Pin, ...] = ()
    boosted_artist_ids: frozenset[int] = frozenset()
    exposure_floor: float = 0.0  # minimum share of long-tail artists' tracks


@dataclass
class ComposedItem:
    track_id: int
    position: int
    score: float
    components: dict[str, float]
    reasons: list[str]


@dataclass
class Composition:
    intent: Intent
    items: list[ComposedItem]
    stage_seconds: dict[str, float]
    weights: dict[str, float]
    relaxed: list[str]
    propensity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent.to_dict(),
            "items": [item.__dict__ for item in self.items],
            "stage_seconds": self.stage_seconds,
            "weights": self.weights,
            "relaxed": self.relaxed,
            "propensity": self.propensity,
        }
