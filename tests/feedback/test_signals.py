"""Signal weights and time decay (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedback.learning import signals
from feedback.learning.signals import Signal

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_explicit_feedback_outweighs_implicit() -> None:
    like = signals.event_weight(Signal("like", NOW))
    complete = signals.event_weight(Signal("complete", NOW))
    dislike = signals.event_weight(Signal("dislike", NOW))
    early_skip = signals.event_weight(Signal("skip", NOW, position_ms=5_000, duration_ms=200_000))

    assert like > complete > 0
    assert dislike < early_skip < 0


def test_an_early_skip_is_a_strong_negative_and_a_late_skip_a_mild_one() -> None:
    early = signals.event_weight(Signal("skip", NOW, position_ms=10_000, duration_ms=240_000))
    late = signals.event_weight(Signal("skip", NOW, position_ms=200_000, duration_ms=240_000))

    assert early == signals.WEIGHTS["early_skip"]
    assert late == signals.WEIGHTS["late_skip"]
    assert early < late < 0


def test_a_skip_within_a_quarter_of_a_long_track_is_early() -> None:
    assert signals.is_early_skip(60_000, 600_000)
    assert not signals.is_early_skip(200_000, 600_000)
    assert signals.is_early_skip(None, None)


def test_progress_counts_by_the_share_heard() -> None:
    half = signals.event_weight(Signal("progress", NOW, position_ms=100_000, duration_ms=200_000))
    assert half == pytest.approx(0.5 * signals.WEIGHTS["progress"])


def test_a_contribution_halves_every_half_life() -> None:
    then = NOW - timedelta(days=signals.HALF_LIFE_DAYS)
    assert signals.affinity([Signal("like", then)], NOW) == pytest.approx(signals.WEIGHTS["like"] / 2)


def test_summed_masses_equal_the_direct_decayed_sum_in_any_order() -> None:
    events = [
        Signal("like", NOW - timedelta(days=200)),
        Signal("complete", NOW - timedelta(days=3)),
        Signal("skip", NOW - timedelta(days=40), position_ms=1_000, duration_ms=180_000),
    ]
    forward = sum(signals.mass(signals.event_weight(event), event.occurred_at) for event in events)
    backward = sum(signals.mass(signals.event_weight(event), event.occurred_at) for event in reversed(events))

    assert signals.affinity_at(forward, NOW) == pytest.approx(signals.affinity(events, NOW))
    assert forward == pytest.approx(backward)


def test_what_was_heard_decides_an_early_skip_not_where_the_listener_seeked() -> None:
    # Seeked to 3:00 and left after 5 s: early. Heard 2 minutes of a 3-minute track: late.
    assert signals.is_early_skip(180_000, 240_000, ms_played=5_000)
    assert not signals.is_early_skip(10_000, 180_000, ms_played=120_000)
    assert signals.reward_kind("skip", 180_000, 240_000, 5_000) == "early_skip"
