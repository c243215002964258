"""Experiments through the real database: consent-gated sticky assignment, the generation hooks,
results with a known effect, and the rules a curator cannot break."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ConsentPurpose, User
from accounts.pseudonyms import pseudonym_for
from accounts.services import consent_withdraw
from config.errors import ApplicationError
from editorial.experiments import selectors, services
from editorial.experiments.models import Assignment, ExperimentStatus, VersionAssignment
from editorial.experiments.stats.stats import VerdictKind
from playlists.engine.scoring import Weights
from tests.experiments.factories import experiment_make, listeners_make, tracks_make
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def test_a_listener_without_experiments_consent_is_never_assigned(
    owner: User, unconsented_user: User
) -> None:
    experiment_make()
    consent_withdraw(user=owner, purpose=ConsentPurpose.EXPERIMENTS)
    for user in (owner, unconsented_user):
        assert services.experiment_assign(user=user) is None
        assert services.experiment_variant_choose(user) is None
    assert not Assignment.objects.exists()


def test_assignment_is_sticky_and_keyed_by_pseudonym(owner: User) -> None:
    experiment = experiment_make()
    first = services.experiment_assign(user=owner)
    assert first is not None and first.pseudonym == pseudonym_for(owner)
    assert str(owner.pk) != first.pseudonym
    # A changed split does not move a listener already assigned.
    experiment.variants.filter(name=first.variant.name).update(traffic=1)
    again = services.experiment_assign(user=owner)
    assert again is not None and again.pk == first.pk and again.variant_id == first.variant_id
    assert Assignment.objects.filter(experiment=experiment).count() == 1


def test_assignment_of_many_listeners_uses_both_variants() -> None:
    experiment_make()
    names = [services.experiment_assign(user=user).variant.name for user in listeners_make(40)]  # type: ignore[union-attr]
    assert {"A", "B"} == set(names)
    assert 8 <= names.count("B") <= 32


def test_the_variant_choice_is_the_variants_engine_configuration_and_writes_nothing(owner: User) -> None:
    experiment = experiment_make()
    chosen = services.experiment_variant_choose(owner)
    assert chosen is not None and chosen.experiment_id == experiment.pk
    assert not Assignment.objects.exists()  # generation records the assignment with the version
    variant = experiment.variants.get(pk=chosen.variant_id)
    assert chosen.weights == Weights.from_dict(variant.weights)
    assert chosen.diversity == variant.diversity
    assigned = services.experiment_assign(user=owner)
    assert assigned is not None and assigned.variant_id == chosen.variant_id
    weights_b = Weights.from_dict(experiment.variants.get(name="B").weights)
    assert weights_b.taste == 2.0 and weights_b.popularity == 0.0


def test_nothing_runs_nothing_assigned(owner: User) -> None:
    experiment_make(start=False)
    assert services.experiment_variant_choose(owner) is None


def test_every_version_records_its_experiment_and_variant(owner: User, settings: object) -> None:
    settings.ENGINE_EXPOSURE_FLOOR = 0.2  # type: ignore[attr-defined]
    experiment_make()
    version = version_make(playlist_make(owner=owner))
    assignment = services.experiment_assign(user=owner)
    services.version_assignment_record(version=version, assignment=assignment)
    services.version_assignment_record(version=version, assignment=assignment)  # idempotent
    record = VersionAssignment.objects.get(version=version)
    assert assignment is not None and record.variant_id == assignment.variant_id
    assert record.exposure_floor == 0.2
    outside = version_make(playlist_make(owner=owner, prompt="rock"))
    services.version_assignment_record(version=outside, assignment=None)
    assert VersionAssignment.objects.get(version=outside).experiment_id is None


def test_only_one_experiment_runs_at_a_time() -> None:
    experiment_make(name="First")
    second = experiment_make(name="Second", start=False)
    with pytest.raises(ApplicationError, match="running"):
        services.experiment_start(experiment=second)
    second.refresh_from_db()
    assert second.status == ExperimentStatus.DRAFT


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ([{"name": "A"}], "2 to 6 variants"),
        ([{"name": "A"}, {"name": "A"}], "must differ"),
        ([{"name": "A"}, {"name": "B", "weights": {"loudness": 1}}], "Unknown weight"),
        ([{"name": "A"}, {"name": "B", "weights": {"taste": -1}}], "between 0"),
        ([{"name": "A"}, {"name": "B", "diversity": 3}], "Diversity"),
    ],
)
def test_bad_experiments_are_refused_with_a_clear_message(variants: list[dict], message: str) -> None:
    with pytest.raises(ApplicationError, match=message):
        services.experiment_create(name="Bad", variants=variants, created_by=None)


def test_results_find_a_known_effect_once_the_horizon_is_reached(curator: User) -> None:
    experiment = experiment_make(horizon=40)
    tracks = tracks_make(10, popularity=[10, 80])
    rng = np.random.default_rng(2)
    for listener in listeners_make(120):
        assignment = services.experiment_assign(user=listener)
        assert assignment is not None
        version = version_make(playlist_make(owner=listener), tracks=tracks)
        services.version_assignment_record(version=version, assignment=assignment)
        skip_probability = 0.5 if assignment.variant.name == "A" else 0.3  # B skips less: better
        skips = int(rng.binomial(20, skip_probability))
        services.simulated_outcome_record(version=version, plays=20, skips=skips, completions=20 - skips)
    results = selectors.experiment_results(user=curator, experiment_id=experiment.pk)
    assert results.has_outcomes and min(results.with_outcomes) >= 40
    verdict = results.verdicts[1]
    assert verdict is not None and verdict.kind == VerdictKind.BETTER, verdict
    skip_row = next(row for row in results.rows if row.key == "skip_rate")
    comparison = skip_row.comparisons[1]
    assert comparison is not None and -0.3 < comparison.difference < -0.1 and comparison.high < 0
    long_tail = next(row for row in results.rows if row.key == "long_tail_share")
    assert long_tail.intervals[0].estimate == pytest.approx(0.5)
    assert not results.chart.is_empty


def test_results_cost_the_same_queries_however_many_variants_and_playlists(curator: User) -> None:
    def run(experiment_id: int, listeners: list[User]) -> int:
        for listener in listeners:
            assignment = services.experiment_assign(user=listener)
            version = version_make(playlist_make(owner=listener), tracks=tracks)
            services.version_assignment_record(version=version, assignment=assignment)
            services.simulated_outcome_record(version=version, plays=4, skips=1, completions=3)
        selectors.experiment_results(user=curator, experiment_id=experiment_id)  # warms the curator check
        with CaptureQueriesContext(connection) as captured:
            results = selectors.experiment_results(user=curator, experiment_id=experiment_id)
        assert sum(results.assigned) == sum(results.playlists) == sum(results.with_outcomes) == len(listeners)
        return len(captured)

    tracks = tracks_make(4)
    small = experiment_make(name="Two variants")
    few = run(small.pk, listeners_make(2, prefix="few"))
    services.experiment_stop(experiment=small)
    large = services.experiment_create(
        name="Four variants",
        created_by=None,
        horizon=20,
        variants=[{"name": name, "traffic": 25} for name in "ABCD"],
    )
    services.experiment_start(experiment=large)
    assert run(large.pk, listeners_make(16, prefix="many")) == few


def test_results_say_collecting_before_the_horizon(curator: User) -> None:
    experiment = experiment_make(horizon=500)
    for listener in listeners_make(6):
        assignment = services.experiment_assign(user=listener)
        version = version_make(playlist_make(owner=listener))
        services.version_assignment_record(version=version, assignment=assignment)
        services.simulated_outcome_record(version=version, plays=10, skips=1, completions=9)
    results = selectors.experiment_results(user=curator, experiment_id=experiment.pk)
    assert results.verdicts[1] is not None and results.verdicts[1].kind == VerdictKind.COLLECTING


def test_outcome_counts_are_checked() -> None:
    with pytest.raises(ApplicationError):
        services.simulated_outcome_record(
            version=None,  # type: ignore[arg-type]
            plays=1,
            skips=2,
            completions=0,
        )


def test_erasure_and_a_purpose_erase_remove_the_listeners_assignments(owner: User, other_user: User) -> None:
    from accounts.exports import export_contents
    from accounts.services import account_erase, purpose_data_erase

    experiment_make()
    services.experiment_assign(user=owner)
    services.experiment_assign(user=other_user)
    exported = export_contents(user=owner)
    assert "experiment_assignments" in str(exported)
    assert purpose_data_erase(user=other_user, purpose=ConsentPurpose.EXPERIMENTS) == 1
    pseudonym = pseudonym_for(owner)
    account_erase(user_id=owner.pk)
    assert not Assignment.objects.filter(pseudonym=pseudonym).exists()
    assert not Assignment.objects.exists()
