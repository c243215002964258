"""The pure statistics behind experiments and monitoring, on plain numpy arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from editorial.experiments.stats import assignment, drift, fairness, stats
from feedback.learning import estimators as offpolicy
from feedback.learning import quality

# Chi-square critical value, 3 degrees of freedom, p = 0.001.
CHI2_DF3_P001 = 16.27


def test_assignment_is_stable_for_the_same_pseudonym_and_salt() -> None:
    splits = [("A", 1.0), ("B", 1.0)]
    first = [assignment.variant_for(f"p{n}", "salt-1", splits) for n in range(500)]
    again = [assignment.variant_for(f"p{n}", "salt-1", splits) for n in range(500)]
    assert first == again


def test_assignment_is_balanced_by_chi_square_on_many_ids() -> None:
    splits = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0)]
    ids = 20_000
    counts = dict.fromkeys("ABCD", 0)
    for n in range(ids):
        counts[assignment.variant_for(f"{n:032x}", "exp-balanced", splits)] += 1
    statistic, _ = scipy_stats.chisquare(list(counts.values()), [ids / 4] * 4)
    assert statistic < CHI2_DF3_P001


def test_assignment_follows_an_uneven_split() -> None:
    splits = [("control", 9.0), ("treatment", 1.0)]
    names = [assignment.variant_for(f"id-{n}", "uneven", splits) for n in range(20_000)]
    assert names.count("treatment") / len(names) == pytest.approx(0.1, abs=0.01)


def test_a_new_salt_reshuffles_assignments() -> None:
    splits = [("A", 1.0), ("B", 1.0)]
    same = sum(
        assignment.variant_for(f"p{n}", "one", splits) == assignment.variant_for(f"p{n}", "two", splits)
        for n in range(4000)
    )
    assert same / 4000 == pytest.approx(0.5, abs=0.05)


def test_verdict_finds_a_known_effect_in_the_right_direction() -> None:
    rng = np.random.default_rng(7)
    control = rng.normal(0.40, 0.15, 800)  # skip rate per playlist
    treatment = rng.normal(0.34, 0.15, 800)  # B skips less: better
    comparison = stats.compare_means(control, treatment)
    assert comparison.low < -0.06 + 0.03 and comparison.high > -0.06 - 0.03
    result = stats.verdict(comparison, horizon=800, higher_is_better=False)
    assert result.kind == stats.VerdictKind.BETTER
    worse = stats.verdict(stats.compare_means(treatment, control), horizon=800, higher_is_better=False)
    assert worse.kind == stats.VerdictKind.WORSE


def test_aa_tests_find_a_difference_at_about_the_stated_rate() -> None:
    rng = np.random.default_rng(11)
    runs, false_alarms = 1000, 0
    for _ in range(runs):
        a = rng.binomial(20, 0.3, 300) / 20
        b = rng.binomial(20, 0.3, 300) / 20
        result = stats.verdict(
            stats.compare_means(a, b), horizon=300, higher_is_better=False, confidence=0.95
        )
        false_alarms += result.kind != stats.VerdictKind.NO_DIFFERENCE
    # 5% stated; the binomial spread of 1000 runs is about ±1.4 points.
    assert 0.025 <= false_alarms / runs <= 0.075


def test_no_verdict_before_the_fixed_horizon_even_with_a_big_effect() -> None:
    comparison = stats.compare_means([0.9, 0.8, 0.85, 0.95], [0.1, 0.2, 0.15, 0.05])
    result = stats.verdict(comparison, horizon=100, higher_is_better=True)
    assert result.kind == stats.VerdictKind.COLLECTING


def test_sample_size_grows_as_the_effect_shrinks() -> None:
    std = math.sqrt(0.3 * 0.7)
    small = stats.sample_size_per_variant(std=std, minimum_effect=0.02)
    large = stats.sample_size_per_variant(std=std, minimum_effect=0.05)
    assert small > large > 100
    # The textbook figure for 30% vs 35% at alpha 0.05, power 0.8: about 1,320 per group.
    assert 1200 < large < 1450


def test_ips_on_a_logged_uniform_policy_recovers_a_known_value() -> None:
    rng = np.random.default_rng(3)
    actions = ["a", "b", "c", "d"]
    true_mean = {"a": 0.2, "b": 0.5, "c": 0.7, "d": 0.4}
    rounds = []
    for _ in range(20_000):
        action = actions[rng.integers(4)]
        rounds.append(offpolicy.LoggedRound(action, 0.25, float(rng.random() < true_mean[action])))
    target = offpolicy.deterministic("c")
    for estimate in (offpolicy.ips(rounds, target), offpolicy.snips(rounds, target)):
        assert estimate.value == pytest.approx(0.7, abs=0.03)
        assert estimate.low < 0.7 < estimate.high
    model = offpolicy.reward_model_fit(rounds)
    robust = offpolicy.doubly_robust(rounds, target, model, actions)
    assert robust.value == pytest.approx(0.7, abs=0.02)
    # A mixed target: half c, half a -> 0.45.
    mixed = offpolicy.ips(rounds, lambda action: {"a": 0.5, "c": 0.5}.get(action, 0.0))
    assert mixed.value == pytest.approx(0.45, abs=0.03)


def test_psi_is_small_on_a_stable_window_and_large_on_a_shifted_one() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(0.5, 0.1, 5000)
    assert drift.psi(reference, rng.normal(0.5, 0.1, 2000)) < 0.02
    assert drift.psi(reference, rng.normal(0.65, 0.1, 2000)) > 0.25


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_drift_alerts_fire_on_a_shifted_window_and_not_on_a_stable_one() -> None:
    rng = np.random.default_rng(9)
    thresholds = drift.DriftThresholds()
    centre = rng.normal(size=32)
    reference = _unit(centre + rng.normal(scale=0.8, size=(300, 32)))
    stable = _unit(centre + rng.normal(scale=0.8, size=(200, 32)))
    texts = [f"prompt {n}" for n in range(200)]
    stable_checks = drift.embedding_checks(reference, stable, texts, thresholds=thresholds)
    assert not any(check.alert for check in stable_checks)
    assert not drift.psi_check(
        "scores", rng.normal(size=500), rng.normal(size=500), thresholds=thresholds
    ).alert
    assert not drift.rate_check(
        "skip rate",
        rng.normal(0.3, 0.1, 200),
        rng.normal(0.3, 0.1, 200),
        thresholds=thresholds,
        higher_is_worse=True,
    ).alert

    other = rng.normal(size=32)
    shifted = _unit(
        np.vstack(
            [centre + rng.normal(scale=0.8, size=(100, 32)), other + rng.normal(scale=0.3, size=(100, 32))]
        )
    )
    shifted_checks = {
        check.name: check
        for check in drift.embedding_checks(reference, shifted, texts, thresholds=thresholds)
    }
    assert shifted_checks["prompt embedding shift"].alert
    assert shifted_checks["new prompt clusters"].alert
    assert drift.psi_check(
        "scores", rng.normal(size=500), rng.normal(1.0, 1, 500), thresholds=thresholds
    ).alert
    assert drift.rate_check(
        "skip rate",
        rng.normal(0.3, 0.1, 200),
        rng.normal(0.4, 0.1, 200),
        thresholds=thresholds,
        higher_is_worse=True,
    ).alert


def test_too_few_samples_never_alert() -> None:
    check = drift.psi_check("scores", [1.0, 2.0], [5.0, 6.0], thresholds=drift.DriftThresholds())
    assert check.value is None and not check.alert


def test_a_worse_model_is_not_promoted() -> None:
    current = quality.ModelMetrics(recall_at_k=0.20, ndcg_at_k=0.15, users=500)
    worse = quality.ModelMetrics(recall_at_k=0.18, ndcg_at_k=0.16, users=500)
    better = quality.ModelMetrics(recall_at_k=0.22, ndcg_at_k=0.17, users=500)
    assert not quality.promotion_decide(current=current, candidate=worse).promote
    assert quality.promotion_decide(current=current, candidate=better).promote
    assert quality.promotion_decide(current=None, candidate=better).promote
    tiny = quality.ModelMetrics(recall_at_k=0.9, ndcg_at_k=0.9, users=3)
    assert not quality.promotion_decide(current=current, candidate=tiny).promote


def test_intra_list_diversity() -> None:
    same = np.tile([1.0, 0.0], (3, 1))
    assert fairness.intra_list_diversity(same) == pytest.approx(0.0)
    orthogonal = np.eye(3)
    assert fairness.intra_list_diversity(orthogonal) == pytest.approx(1.0)
    assert math.isnan(fairness.intra_list_diversity(np.eye(3)[:1]))


def test_fairness_measures() -> None:
    assert fairness.genre_coverage(2, 4) == 0.5
    assert math.isnan(fairness.genre_coverage(2, 0))
    assert fairness.list_diversity([[1], [1, 2], [3]]) == pytest.approx(2 / 3)
