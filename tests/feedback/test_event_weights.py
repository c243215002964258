"""Signal weights and time decay (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedback.learning import event_weights
from feedback.learning.event_weights import Signal

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_explicit_feedback_outweighs_implicit() -> None:
    like = event_weights.event_weight(Signal("like", NOW))
    complete = event_weights.event_weight(Signal("complete", NOW))
    dislike = event_weights.event_weight(Signal("dislike", NOW))
    early_skip = event_weights.event_weight(Signal("skip", NOW, position_ms=5_000, duration_ms=200_000))

    assert like > complete > 0
    assert dislike < early_skip < 0


def test_an_early_skip_is_a_strong_negative_and_a_late_skip_a_mild_one() -> None:
    early = event_weights.event_weight(Signal("skip", NOW, position_ms=10_000, duration_ms=240_000))
    late = event_weights.event_weight(Signal("skip", NOW, position_ms=200_000, duration_ms=240_000))

    assert early == event_weights.WEIGHTS["early_skip"]
    assert late == event_weights.WEIGHTS["late_skip"]
    assert early < late < 0


def test_a_skip_within_a_quarter_of_a_long_track_is_early() -> None:
    assert event_weights.is_early_skip(60_000, 600_000)
    assert not event_weights.is_early_skip(200_000, 600_000)
    assert event_weights.is_early_skip(None, None)


def test_progress_counts_by_the_share_heard() -> None:
    half = event_weights.event_weight(Signal("progress", NOW, position_ms=100_000, duration_ms=200_000))
    assert half == pytest.approx(0.5 * event_weights.WEIGHTS["progress"])


def test_a_contribution_halves_every_half_life() -> None:
    then = NOW - timedelta(days=event_weights.HALF_LIFE_DAYS)
    assert event_weights.affinity([Signal("like", then)], NOW) == pytest.approx(
        event_weights.WEIGHTS["like"] / 2
    )


def test_summed_masses_equal_the_direct_decayed_sum_in_any_order() -> None:
    events = [
        Signal("like", NOW - timedelta(days=200)),
        Signal("complete", NOW - timedelta(days=3)),
        Signal("skip", NOW - timedelta(days=40), position_ms=1_000, duration_ms=180_000),
    ]
    forward = sum(
        event_weights.mass(event_weights.event_weight(event), event.occurred_at) for event in events
    )
    backward = sum(
        event_weights.mass(event_weights.event_weight(event), event.occurred_at) for event in reversed(events)
    )

    assert event_weights.affinity_at(forward, NOW) == pytest.approx(event_weights.affinity(events, NOW))
    assert forward == pytest.approx(backward)


def test_what_was_heard_decides_an_early_skip_not_where_the_listener_seeked() -> None:
    # Seeked to 3:00 and left after 5 s: early. Heard 2 minutes of a 3-minute track: late.
    assert event_weights.is_early_skip(180_000, 240_000, ms_played=5_000)
    assert not event_weights.is_early_skip(10_000, 180_000, ms_played=120_000)
    assert event_weights.reward_kind("skip", 180_000, 240_000, 5_000) == "early_skip"
