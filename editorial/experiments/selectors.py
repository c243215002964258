"""Reads for the experiments pages: experiments, their results, the off-policy report. The panel is
the curators': every selector taking a ``user`` answers 404 to anyone else. Monitoring (fairness,
drift, the schedule) is in ``monitoring_selectors``."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from editorial.charts import LineChart, line_chart
from editorial.experiments.measures import (
    ListMeasures,
    Outcome,
    version_list_measures,
    version_outcomes,
)
from editorial.experiments.models import (
    Assignment,
    Experiment,
    ExperimentMetric,
    Variant,
    VersionAssignment,
)
from editorial.experiments.stats import stats
from editorial.exposure import (
    gini,
)
from feedback.learning import estimators as offpolicy
from playlists.models import PlaylistVersion, VersionStatus


def curator_only(user: User) -> None:
    if not getattr(user, "is_curator", False):
        raise Http404


# --- experiments ----------------------------------------------------------------------------


def experiment_list(*, user: User) -> list[Experiment]:
    curator_only(user)
    return list(
        Experiment.objects.annotate(variant_count=Count("variants", distinct=True)).order_by("-created_at")
    )


def experiment_get(*, user: User, experiment_id: int) -> Experiment:
    curator_only(user)
    experiment = Experiment.objects.prefetch_related("variants").filter(pk=experiment_id).first()
    if experiment is None:
        raise Http404
    return experiment


METRICS: dict[str, tuple[str, bool]] = {  # key -> (label, higher is better)
    "skip_rate": ("Skip rate (skipped ÷ skipped or completed tracks)", False),
    "completion_rate": ("Completion rate (completed ÷ started tracks)", True),
    "likes": ("Likes per playlist", True),
    "saves": ("Tracks saved per playlist", True),
    "diversity": ("Diversity (1 − mean similarity of its tracks)", True),
    "artist_variety": ("Artist variety (distinct artists per track)", True),
    "long_tail_share": ("Artist exposure: long-tail share", True),
}


@dataclass
class MetricRow:
    key: str
    label: str
    intervals: list[stats.Interval]  # per variant, in variant order
    comparisons: list[stats.Comparison | None]  # per variant vs the control (None for the control)


@dataclass
class ExperimentResults:
    experiment: Experiment
    variants: list[Variant]
    playlists: list[int]  # versions per variant
    with_outcomes: list[int]
    rows: list[MetricRow]
    verdicts: list[stats.Verdict | None]  # per variant on the primary metric
    exposure_gini: list[float]
    chart: LineChart
    has_outcomes: bool
    suggested_horizon: int | None = None
    assigned: list[int] = field(default_factory=list)


def experiment_results(*, user: User, experiment_id: int) -> ExperimentResults:
    """Per variant: counts, every metric's interval and difference to the control, the verdict
    on the primary metric, exposure Gini and the primary metric over time. A fixed number of
    queries however many variants and versions; each version's values are computed once."""
    experiment = experiment_get(user=user, experiment_id=experiment_id)
    variants = sorted(experiment.variants.all(), key=lambda variant: variant.position)
    versions: dict[int, list[tuple[int, datetime | None]]] = {variant.pk: [] for variant in variants}
    for variant_id, version_id, finished in VersionAssignment.objects.filter(
        experiment=experiment, version__status=VersionStatus.READY
    ).values_list("variant_id", "version_id", "version__finished_at"):
        if variant_id in versions:
            versions[variant_id].append((version_id, finished))
    listeners = dict(
        Assignment.objects.filter(experiment=experiment)
        .values("variant")
        .annotate(n=Count("pk"))
        .values_list("variant", "n")
        .order_by()
    )
    version_ids = [version_id for members in versions.values() for version_id, _ in members]
    outcomes = version_outcomes(version_ids)
    measures = version_list_measures(version_ids, with_embeddings=True)
    metric_values = {
        version_id: {
            key: _metric_value(key, outcomes.get(version_id), measures.get(version_id)) for key in METRICS
        }
        for version_id in version_ids
    }
    values = {
        variant_id: {
            key: [
                metric_values[version_id][key]
                for version_id, _ in members
                if not math.isnan(metric_values[version_id][key])
            ]
            for key in METRICS
        }
        for variant_id, members in versions.items()
    }
    confidence = experiment.confidence
    control = variants[0]
    rows = []
    for key, (label, _) in METRICS.items():
        intervals = [stats.mean_interval(values[v.pk][key], confidence=confidence) for v in variants]
        comparisons: list[stats.Comparison | None] = [None] + [
            stats.compare_means(values[control.pk][key], values[v.pk][key], confidence=confidence)
            for v in variants[1:]
        ]
        rows.append(MetricRow(key, label, intervals, comparisons))
    primary = next(row for row in rows if row.key == experiment.primary_metric)
    higher_is_better = METRICS[experiment.primary_metric][1]
    verdicts: list[stats.Verdict | None] = [None] + [
        stats.verdict(
            comparison,
            horizon=experiment.horizon,
            higher_is_better=higher_is_better,
            confidence=confidence,
            treatment=variant.name,
        )
        for variant, comparison in zip(variants[1:], primary.comparisons[1:], strict=True)
        if comparison is not None
    ]
    control_values = np.asarray(values[control.pk][experiment.primary_metric], dtype=float)
    suggested = None
    if experiment.primary_metric in (ExperimentMetric.SKIP_RATE, ExperimentMetric.COMPLETION_RATE) and (
        control_values.size > 1 and control_values.std(ddof=1) > 0
    ):
        suggested = stats.sample_size_per_variant(
            std=float(control_values.std(ddof=1)), minimum_effect=0.05, alpha=1 - confidence
        )
    observed = {version_id for version_id, outcome in outcomes.items() if outcome.observed}
    primary_values = {
        version_id: metric_values[version_id][experiment.primary_metric] for version_id in version_ids
    }
    return ExperimentResults(
        experiment=experiment,
        variants=variants,
        playlists=[len(versions[variant.pk]) for variant in variants],
        with_outcomes=[sum(1 for pk, _ in versions[variant.pk] if pk in observed) for variant in variants],
        rows=rows,
        verdicts=verdicts,
        exposure_gini=[_exposure_gini(versions[variant.pk], measures) for variant in variants],
        chart=_experiment_chart(variants, versions, primary_values),
        has_outcomes=bool(outcomes),
        suggested_horizon=suggested,
        assigned=[listeners.get(variant.pk, 0) for variant in variants],
    )


def _metric_value(key: str, outcome: Outcome | None, measure: ListMeasures | None) -> float:
    """One version's value of a metric; NaN when it has none (left out of the means)."""
    if key in ("diversity", "artist_variety", "long_tail_share"):
        return getattr(measure, key) if measure else math.nan
    if outcome is None or not outcome.observed:
        return math.nan
    return {
        "skip_rate": outcome.skip_rate,
        "completion_rate": outcome.completion_rate,
        "likes": float(outcome.likes),
        "saves": float(outcome.saves),
    }[key]


def _exposure_gini(members: list[tuple[int, datetime | None]], measures: dict[int, ListMeasures]) -> float:
    counts: Counter[int] = Counter()
    for version_id, _ in members:
        if version_id in measures:
            counts.update(measures[version_id].lead_artists)
    return gini(list(counts.values()))


def _experiment_chart(
    variants: list[Variant],
    versions: dict[int, list[tuple[int, datetime | None]]],
    primary_values: dict[int, float],
) -> LineChart:
    """Cumulative mean of the primary metric per variant, by the (local) day versions finished."""
    days = sorted(
        {timezone.localdate(finished) for members in versions.values() for _, finished in members if finished}
    )
    series: dict[str, list[float | None]] = {}
    for variant in variants:
        by_day: dict[date, list[float]] = defaultdict(list)
        for version_id, finished in versions[variant.pk]:
            if finished and not math.isnan(primary_values[version_id]):
                by_day[timezone.localdate(finished)].append(primary_values[version_id])
        total, count = 0.0, 0
        points: list[float | None] = []
        for day in days:
            total += sum(by_day.get(day, ()))
            count += len(by_day.get(day, ()))
            points.append(total / count if count else None)
        series[variant.name] = points
    return line_chart([day.isoformat() for day in days], series)


# --- off-policy evaluation --------------------------------------------------------------------


@dataclass
class OffPolicyRow:
    action: str
    logged: int
    logged_mean: float
    estimates: list[offpolicy.Estimate]


def offpolicy_report(*, user: User, limit: int = 20_000) -> tuple[list[OffPolicyRow], int, int]:
    """Estimates of "always use policy X" for every logged policy, from versions with a logged
    propensity and an outcome (reward: completion rate). Also: versions seen, versions usable."""
    curator_only(user)
    logged = list(
        PlaylistVersion.objects.filter(status=VersionStatus.READY, propensity__isnull=False)
        .exclude(policy="")
        .order_by("-finished_at")
        .values_list("pk", "policy", "propensity")[:limit]
    )
    outcomes = version_outcomes(pk for pk, _, _ in logged)
    rounds = [
        offpolicy.LoggedRound(policy, float(propensity), outcomes[pk].completion_rate)
        for pk, policy, propensity in logged
        if propensity is not None and pk in outcomes and outcomes[pk].plays
    ]
    actions = sorted({r.action for r in rounds})
    model = offpolicy.reward_model_fit(rounds)
    rows = []
    for action in actions:
        target = offpolicy.deterministic(action)
        own = [r.reward for r in rounds if r.action == action]
        rows.append(
            OffPolicyRow(
                action=action,
                logged=len(own),
                logged_mean=float(np.mean(own)) if own else math.nan,
                estimates=[
                    offpolicy.ips(rounds, target),
                    offpolicy.snips(rounds, target),
                    offpolicy.doubly_robust(rounds, target, model, actions),
                ],
            )
        )
    return rows, len(logged), len(rounds)


def running_experiment() -> Experiment | None:
    return Experiment.objects.filter(Q(status="running")).first()
