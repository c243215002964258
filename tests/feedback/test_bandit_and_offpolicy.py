"""Thompson sampling with a global prior, and IPS / SNIPS (pure: no database)."""

from __future__ import annotations

import numpy as np
import pytest

from feedback.learning import bandit
from feedback.learning.bandit import ArmCounts
from feedback.learning.offpolicy import LoggedDecision, estimate


def test_the_global_prior_is_shrunk_to_a_few_observations() -> None:
    alpha, beta = bandit.posterior(ArmCounts(900, 100), ArmCounts())
    assert alpha + beta == pytest.approx(2 + bandit.PRIOR_STRENGTH)
    assert alpha / (alpha + beta) > 0.8


def test_a_listeners_own_feedback_overrides_the_global_prior() -> None:
    global_counts = {"familiar": ArmCounts(90, 10), "discovery": ArmCounts(10, 90)}
    mine = {"familiar": ArmCounts(0, 60), "discovery": ArmCounts(60, 0)}
    rng = np.random.default_rng(1)

    picks = [
        bandit.choose(
            global_counts=global_counts, user_counts=mine, rng=rng, policies=["familiar", "discovery"]
        ).policy
        for _ in range(50)
    ]
    newcomer = [
        bandit.choose(
            global_counts=global_counts, user_counts={}, rng=rng, policies=["familiar", "discovery"]
        ).policy
        for _ in range(50)
    ]

    assert picks.count("discovery") > 45
    assert newcomer.count("familiar") > 35


def test_the_propensity_is_the_probability_of_the_choice() -> None:
    rng = np.random.default_rng(2)
    choice = bandit.choose(global_counts={}, user_counts={}, rng=rng)

    assert choice.policy in bandit.POLICIES
    assert choice.propensity == pytest.approx(1 / len(bandit.POLICIES), abs=0.05)


def test_greedy_picks_the_best_posterior_mean() -> None:
    counts = {"balanced": ArmCounts(5, 5), "familiar": ArmCounts(8, 2)}
    assert bandit.greedy(counts=counts, policies=["balanced", "familiar"]) == "familiar"


def test_ips_and_snips_by_hand() -> None:
    logged = [
        LoggedDecision("a", "x", 0.5, 1.0),
        LoggedDecision("b", "y", 0.5, 0.0),
        LoggedDecision("c", "x", 0.25, 0.0),
        LoggedDecision("d", "y", 1.0, 1.0),
    ]

    result = estimate(logged, "x")

    # weights 2, 0, 4, 0 -> IPS = (2*1 + 4*0) / 4; SNIPS = 2 / 6
    assert result.ips == pytest.approx(0.5)
    assert result.snips == pytest.approx(1 / 3)
    assert result.matched == 2


def test_ips_of_the_logging_policy_itself_recovers_the_average_reward() -> None:
    rng = np.random.default_rng(3)
    actions, probabilities, rewards = ["x", "y"], [0.3, 0.7], {"x": 0.8, "y": 0.2}
    logged = []
    for index in range(20_000):
        action = actions[int(rng.random() < probabilities[1])]
        logged.append(
            LoggedDecision(
                str(index),
                action,
                probabilities[actions.index(action)],
                float(rng.random() < rewards[action]),
            )
        )

    always_x = estimate(logged, "x")

    assert always_x.ips == pytest.approx(0.8, abs=0.05)
    assert always_x.snips == pytest.approx(0.8, abs=0.03)


def test_propensities_outside_zero_one_are_refused() -> None:
    with pytest.raises(ValueError):
        estimate([LoggedDecision("a", "x", 0.0, 1.0)], "x")


@pytest.mark.django_db
def test_evaluate_policies_reads_the_logged_versions(owner: object) -> None:
    import uuid
    from datetime import UTC, datetime
    from io import StringIO

    from django.core.management import call_command

    from feedback import ingestion
    from tests.catalog.factories import TrackFactory
    from tests.playlists.factories import playlist_make, version_make

    track = TrackFactory()
    version = version_make(playlist_make(owner=owner), tracks=[track], policy="familiar", propensity=0.5)
    ingestion.events_ingest(
        user=owner,
        events=[
            {
                "id": str(uuid.uuid4()),
                "kind": "complete",
                "track": track.pk,
                "playlist": version.playlist_id,
                "version": version.number,
                "occurred_at": datetime.now(UTC).isoformat(),
            }
        ],
    )
    out = StringIO()

    call_command("evaluate_policies", stdout=out)

    familiar = next(line for line in out.getvalue().splitlines() if line.startswith("familiar"))
    assert familiar.split()[1:3] == ["2.000", "1.000"]  # IPS = 1/0.5, SNIPS = 1
