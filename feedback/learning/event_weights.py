"""Listening events → affinity: the documented weights and the time decay (no Django imports).

Named for what it holds (event weights), not a Django signals module.

Weights (one event's contribution to a listener's affinity for a track, before decay):

| event                                  | weight | why |
|----------------------------------------|-------:|-----|
| like                                   |  +3.0  | explicit and deliberate: the strongest positive |
| save (to a library / another playlist) |  +2.0  | explicit, a little weaker than a like |
| replay                                 |  +1.5  | chose to hear it again |
| complete (played to the end)           |  +1.0  | implicit: listened through |
| progress (ratio r of the track heard)  | +0.5·r | implicit, partial; a later complete adds the rest |
| play start                             |  +0.1  | barely a signal: autoplay starts everything |
| skip before 30 s heard (or < 25 %)     |  −2.0  | early skip: a strong negative |
| skip later                             |  −0.5  | late skip: mild (heard most of it) |
| remove from playlist                   |  −2.0  | explicit negative about this track here |
| dislike                                |  −4.0  | explicit: the strongest negative (never served again) |

"Heard" is the player's ``ms_played`` (pauses and seeks excluded) when the event carries it,
else the skip's position in the track.

Time decay: a contribution halves every ``HALF_LIFE_DAYS`` (90 days). To keep the affinity
current *incrementally*, each contribution is stored pre-scaled as a "mass"
``w · 2^((t − EPOCH) / HALF_LIFE)`` and the per-(user, track) masses are simply added (an
``INSERT … ON CONFLICT DO UPDATE SET mass = mass + excluded.mass``): the sum is order-free, so
late and out-of-order events are exact. The affinity at time ``now`` is
``mass · 2^(−(now − EPOCH) / HALF_LIFE)``. With a 90-day half-life the scale stays within
float64 until the 23rd century.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

HALF_LIFE_DAYS = 90.0
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
EARLY_SKIP_SECONDS = 30.0
EARLY_SKIP_RATIO = 0.25

EVENT_KINDS = (
    "play",
    "progress",
    "complete",
    "skip",
    "like",
    "dislike",
    "save",
    "remove",
    "replay",
)

WEIGHTS: dict[str, float] = {
    "like": 3.0,
    "save": 2.0,
    "replay": 1.5,
    "complete": 1.0,
    "progress": 0.5,  # times the ratio heard
    "play": 0.1,
    "early_skip": -2.0,
    "late_skip": -0.5,
    "remove": -2.0,
    "dislike": -4.0,
}


@dataclass(frozen=True)
class Signal:
    kind: str
    occurred_at: datetime
    position_ms: int | None = None  # where in the track (skip, progress)
    duration_ms: int | None = None  # the track's length, when known
    ms_played: int | None = None  # audio actually heard (a real player's count), when known


def is_early_skip(position_ms: int | None, duration_ms: int | None, ms_played: int | None = None) -> bool:
    """A skip after less than 30 s heard, or less than a quarter of a short track. Unknown: early.

    What was heard is ``ms_played`` when the player counted it (a listener who seeks to the
    chorus and leaves after 5 s skipped early, whatever the position); else the position.
    """
    heard = ms_played if ms_played is not None else position_ms
    if heard is None:
        return True
    if heard < EARLY_SKIP_SECONDS * 1000:
        return True
    return bool(duration_ms) and heard < EARLY_SKIP_RATIO * float(duration_ms or 0)


def event_weight(signal: Signal) -> float:
    """The undecayed contribution of one event (see the table in the module doc)."""
    if signal.kind == "skip":
        return (
            WEIGHTS["early_skip"]
            if is_early_skip(signal.position_ms, signal.duration_ms, signal.ms_played)
            else WEIGHTS["late_skip"]
        )
    if signal.kind == "progress":
        if not signal.position_ms or not signal.duration_ms:
            return 0.0
        return WEIGHTS["progress"] * min(1.0, signal.position_ms / signal.duration_ms)
    return WEIGHTS.get(signal.kind, 0.0)


def _age_units(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds() / (HALF_LIFE_DAYS * 86400.0)


def mass(weight: float, occurred_at: datetime) -> float:
    """A contribution pre-scaled to the shared epoch (add masses; read with ``affinity_at``)."""
    return weight * math.pow(2.0, _age_units(occurred_at))


def affinity_at(total_mass: float, now: datetime) -> float:
    """The decayed affinity at ``now`` of a summed mass."""
    return total_mass * math.pow(2.0, -_age_units(now))


def decay_factor(now: datetime) -> float:
    """Multiply stored masses by this to read affinities at ``now`` (vectorized reads)."""
    return math.pow(2.0, -_age_units(now))


def affinity(signals: Iterable[Signal], now: datetime) -> float:
    """The affinity of one track from its events, computed directly (the reference for tests)."""
    return sum(
        event_weight(signal)
        * math.pow(0.5, (now - signal.occurred_at).total_seconds() / (HALF_LIFE_DAYS * 86400.0))
        for signal in signals
    )


def reward_kind(
    kind: str, position_ms: int | None, duration_ms: int | None, ms_played: int | None = None
) -> str:
    """The bandit's name for an event: skips split into early and late."""
    if kind == "skip":
        return "early_skip" if is_early_skip(position_ms, duration_ms, ms_played) else "late_skip"
    return kind
