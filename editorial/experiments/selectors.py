"""Reads for experiments and monitoring. The panel is the curators': every selector taking a
``user`` answers 404 to anyone else. Listening outcomes come from one place, ``version_outcomes``:
feedback events when the feedback app has its event model, plus simulated outcomes."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from cron_descriptor import (
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from django.apps import apps
from django.conf import settings
from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from catalog.features import AUDIO_FEATURES
from catalog.models import Tag, TagKind, Track, TrackArtist
from editorial.charts import LineChart, line_chart
from editorial.experiments.models import (
    Assignment,
    DriftReport,
    Experiment,
    ExperimentMetric,
    ModelPromotion,
    SimulatedOutcome,
    TaskRun,
    Variant,
    VersionAssignment,
)
from editorial.experiments.stats import fairness, stats
from editorial.exposure import (
    ExposureCount,
    ExposureSummary,
    exposure_summary,
    gini,
    is_long_tail,
    long_tail_share,
)
from editorial.outcomes import skip_rate
from editorial.selectors import LONG_TAIL, exposure_count, exposure_counts, exposure_placements
from feedback.learning import estimators as offpolicy
from playlists.models import PlaylistItem, PlaylistVersion, VersionCause, VersionStatus

DRIFT_FEATURES = ("energy", "valence", "danceability", "tempo", "acousticness", "popularity")
MAX_SCORES_PER_WINDOW = 50_000
MAX_TRACKS_PER_WINDOW = 50_000


def _curator_only(user: User) -> None:
    if not getattr(user, "is_curator", False):
        raise Http404


# --- outcomes -------------------------------------------------------------------------------


@dataclass
class Outcome:
    plays: int = 0
    skips: int = 0
    completions: int = 0
    likes: int = 0
    saves: int = 0

    @property
    def observed(self) -> bool:
        """Anything was heard: a play started or ended."""
        return bool(self.plays or self.skips or self.completions)

    @property
    def skip_rate(self) -> float:
        return skip_rate(skips=self.skips, completions=self.completions)

    @property
    def completion_rate(self) -> float:
        """Completions over play starts (the off-policy reward)."""
        return self.completions / self.plays if self.plays else math.nan

    def add(self, other: Outcome) -> None:
        self.plays += other.plays
        self.skips += other.skips
        self.completions += other.completions
        self.likes += other.likes
        self.saves += other.saves


_EVENT_FIELDS = {
    "play": "plays",
    "skip": "skips",
    "complete": "completions",
    "like": "likes",
    "save": "saves",
}


def feedback_event_model() -> type[Model] | None:
    """The feedback app's listening event model, or None while it does not exist."""
    try:
        return apps.get_model("feedback", "ListeningEvent")
    except LookupError:
        return None


def version_outcomes(version_ids: Iterable[int]) -> dict[int, Outcome]:
    """Outcome counts per version that has any: feedback events plus simulated outcomes."""
    ids = list(version_ids)
    outcomes: dict[int, Outcome] = defaultdict(Outcome)
    if not ids:
        return {}
    event_model = feedback_event_model()
    if event_model is not None:
        rows = (
            event_model.objects.filter(version_id__in=ids, kind__in=list(_EVENT_FIELDS))  # type: ignore[attr-defined]
            .values("version_id", "kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            outcome = outcomes[row["version_id"]]
            setattr(
                outcome, _EVENT_FIELDS[row["kind"]], getattr(outcome, _EVENT_FIELDS[row["kind"]]) + row["n"]
            )
    for simulated in SimulatedOutcome.objects.filter(version_id__in=ids):
        outcomes[simulated.version_id].add(
            Outcome(simulated.plays, simulated.skips, simulated.completions, simulated.likes, simulated.saves)
        )
    return dict(outcomes)


# --- per-version list measures --------------------------------------------------------------


@dataclass
class ListMeasures:
    diversity: float  # 1 - mean pairwise cosine of the tracks' embeddings (NaN when not asked)
    artist_variety: float  # distinct lead artists per track
    long_tail_share: float  # editorial.exposure's definition, over this version's placements
    lead_artists: list[int]


def version_list_measures(
    version_ids: Sequence[int], *, with_embeddings: bool = False
) -> dict[int, ListMeasures]:
    """Per version: diversity, artist variety, long-tail share and lead artists."""
    items = list(
        PlaylistItem.objects.filter(version_id__in=version_ids).values_list(
            "version_id", "track_id", "track__popularity"
        )
    )
    track_ids = {track_id for _, track_id, _ in items}
    leads: dict[int, int] = {}
    for track_id, artist_id in (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .order_by("track_id", "-position", "-artist_id")
        .values_list("track_id", "artist_id")
    ):
        leads[track_id] = artist_id  # the lowest position (then id) is written last
    embeddings: dict[int, np.ndarray] = {}
    if with_embeddings:
        embeddings = {
            pk: np.asarray(vector, dtype=float)
            for pk, vector in Track.objects.filter(pk__in=track_ids, embedding__isnull=False).values_list(
                "pk", "embedding"
            )
        }
    per_version: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for version_id, track_id, popularity in items:
        per_version[version_id].append((track_id, popularity))
    measures = {}
    for version_id, rows in per_version.items():
        artists = [[leads[track_id]] if track_id in leads else [] for track_id, _ in rows]
        vectors = [embeddings[track_id] for track_id, _ in rows if track_id in embeddings]
        long_tail = sum(1 for _, popularity in rows if is_long_tail(popularity))
        measures[version_id] = ListMeasures(
            diversity=fairness.intra_list_diversity(np.vstack(vectors)) if len(vectors) > 1 else math.nan,
            artist_variety=fairness.list_diversity(artists),
            long_tail_share=long_tail_share(long_tail, len(rows)),
            lead_artists=[leads[track_id] for track_id, _ in rows if track_id in leads],
        )
    return measures


# --- experiments ----------------------------------------------------------------------------


def experiment_list(*, user: User) -> list[Experiment]:
    _curator_only(user)
    return list(
        Experiment.objects.annotate(variant_count=Count("variants", distinct=True)).order_by("-created_at")
    )


def experiment_get(*, user: User, experiment_id: int) -> Experiment:
    _curator_only(user)
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
    _curator_only(user)
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


# --- fairness -------------------------------------------------------------------------------

FAIRNESS_MAX_ROWS = 100_000  # per grouped query: (day, lead artist) and (day, listener) rows


@dataclass
class FairnessDay:
    day: date
    versions: int
    gini: float
    long_tail_share: float
    genre_coverage: float
    listener_diversity: float


@dataclass
class FloorRow:
    floor: float | None
    versions: int
    long_tail_share: float


@dataclass
class FairnessReport:
    days: list[FairnessDay]
    floors: list[FloorRow]
    window: ExposureSummary  # the whole window, computed as the desk home computes it
    charts: dict[str, LineChart]
    complete_since: date | None = None  # the row cap cut the window: days before this are left out


def _newest_days(rows: QuerySet, *, limit: int) -> tuple[list[dict[str, Any]], date | None]:
    """At most ``limit`` grouped rows, newest day first. When there are more, the oldest day
    read may be partial, so it is dropped; also returns the first day kept (None: nothing cut)."""
    fetched = list(rows.order_by("-day")[: limit + 1])
    if len(fetched) <= limit:
        return fetched, None
    oldest = fetched[-1]["day"]
    kept = [row for row in fetched if row["day"] != oldest]
    return kept, oldest + timedelta(days=1)


def fairness_report(*, user: User, days: int = 30, now: datetime | None = None) -> FairnessReport:
    """Per day and for the whole window, aggregated in the database: exposure (Gini, long-tail
    share, as on the desk home), genre coverage and per-listener diversity; and the long-tail
    share by the exposure floor the versions were built with."""
    _curator_only(user)
    now = now or timezone.now()
    placements = exposure_placements(since=now - timedelta(days=days)).annotate(
        day=TruncDate("version__finished_at", tzinfo=timezone.get_current_timezone())
    )
    exposure_rows, exposure_cut = _newest_days(exposure_counts(placements, "day"), limit=FAIRNESS_MAX_ROWS)
    listener_rows, listener_cut = _newest_days(
        placements.values("day", "version__playlist__owner_id")
        .annotate(tracks=Count("lead_artist"), artists=Count("lead_artist", distinct=True))
        .filter(tracks__gt=0)
        .order_by(),
        limit=FAIRNESS_MAX_ROWS,
    )
    complete_since = max((cut for cut in (exposure_cut, listener_cut) if cut), default=None)
    versions = dict(
        placements.values("day")
        .annotate(n=Count("version", distinct=True))
        .values_list("day", "n")
        .order_by()
    )
    genres = dict(
        placements.filter(track__track_tags__tag__kind=TagKind.GENRE)
        .values("day")
        .annotate(n=Count("track__track_tags__tag", distinct=True))
        .values_list("day", "n")
        .order_by()
    )
    catalog_genres = Tag.objects.filter(kind=TagKind.GENRE).count()

    exposure_by_day: dict[date, list[ExposureCount]] = defaultdict(list)
    for row in exposure_rows:
        if complete_since is None or row["day"] >= complete_since:
            exposure_by_day[row["day"]].append(exposure_count(row))
    diversity_by_day: dict[date, list[float]] = defaultdict(list)
    for row in listener_rows:
        diversity_by_day[row["day"]].append(row["artists"] / row["tracks"])
    rows = []
    for day, counts in sorted(exposure_by_day.items()):
        summary = exposure_summary(counts)
        listener_diversity = diversity_by_day.get(day)
        rows.append(
            FairnessDay(
                day=day,
                versions=versions.get(day, 0),
                gini=summary.gini,
                long_tail_share=summary.long_tail_share,
                genre_coverage=fairness.genre_coverage(genres.get(day, 0), catalog_genres),
                listener_diversity=float(np.mean(listener_diversity)) if listener_diversity else math.nan,
            )
        )
    counted = placements.filter(day__gte=complete_since) if complete_since else placements
    floor_rows = [
        FloorRow(row["floor"], row["versions"], long_tail_share(row["long_tail"], row["placements"]))
        for row in sorted(
            counted.values(floor=F("version__ops_assignment__exposure_floor"))
            .annotate(
                versions=Count("version", distinct=True),
                placements=Count("pk"),
                long_tail=Count("pk", filter=LONG_TAIL),
            )
            .order_by(),
            key=lambda row: (row["floor"] is None, row["floor"] or 0.0),
        )
    ]
    labels = [row.day.isoformat() for row in rows]
    charts = {
        "concentration": line_chart(
            labels,
            {
                "artist exposure Gini": [row.gini for row in rows],
                "genre coverage": [row.genre_coverage for row in rows],
            },
            y_range=(0.0, 1.0),
        ),
        "long_tail": line_chart(
            labels,
            {
                "long-tail share": [row.long_tail_share for row in rows],
                "per-listener diversity": [row.listener_diversity for row in rows],
            },
            y_range=(0.0, 1.0),
            guides={"exposure floor": float(settings.ENGINE_EXPOSURE_FLOOR)},
        ),
    }
    return FairnessReport(
        days=rows,
        floors=floor_rows,
        window=exposure_summary(count for counts in exposure_by_day.values() for count in counts),
        charts=charts,
        complete_since=complete_since,
    )


# --- drift ----------------------------------------------------------------------------------


def prompts_between(start: datetime, end: datetime, *, limit: int) -> list[str]:
    """Prompts of playlists first generated in [start, end), newest first, at most ``limit``."""
    return list(
        PlaylistVersion.objects.filter(created_at__gte=start, created_at__lt=end, cause=VersionCause.PROMPT)
        .order_by("-created_at")
        .values_list("playlist__prompt", flat=True)[:limit]
    )


def catalog_features_between(
    reference_start: datetime, recent_start: datetime, end: datetime
) -> dict[str, tuple[list[float], list[float]]]:
    """Feature values of tracks added in the reference window and in the recent one."""
    features = [name for name in DRIFT_FEATURES if name in AUDIO_FEATURES or name == "popularity"]
    windows = []
    for start, stop in ((reference_start, recent_start), (recent_start, end)):
        rows = list(
            Track.objects.filter(created_at__gte=start, created_at__lt=stop)
            .order_by("-created_at")
            .values_list(*features)[:MAX_TRACKS_PER_WINDOW]
        )
        windows.append(rows)
    return {
        feature: (
            [row[index] for row in windows[0] if row[index] is not None],
            [row[index] for row in windows[1] if row[index] is not None],
        )
        for index, feature in enumerate(features)
    }


def scores_between(
    reference_start: datetime, recent_start: datetime, end: datetime
) -> tuple[list[float], list[float]]:
    windows = []
    for start, stop in ((reference_start, recent_start), (recent_start, end)):
        windows.append(
            list(
                PlaylistItem.objects.filter(version__created_at__gte=start, version__created_at__lt=stop)
                .order_by("-version__created_at")
                .values_list("score", flat=True)[:MAX_SCORES_PER_WINDOW]
            )
        )
    return windows[0], windows[1]


def outcome_rates_between(
    reference_start: datetime, recent_start: datetime, end: datetime
) -> dict[str, tuple[list[float], list[float]]]:
    """Per-version skip and completion rates in the two windows (empty without outcomes)."""
    rates: dict[str, tuple[list[float], list[float]]] = {"skip_rate": ([], []), "completion_rate": ([], [])}
    for window, (start, stop) in enumerate(((reference_start, recent_start), (recent_start, end))):
        ids = PlaylistVersion.objects.filter(
            status=VersionStatus.READY, created_at__gte=start, created_at__lt=stop
        ).values_list("pk", flat=True)
        for outcome in version_outcomes(ids).values():
            for key, rate in (("skip_rate", outcome.skip_rate), ("completion_rate", outcome.completion_rate)):
                if not math.isnan(rate):
                    rates[key][window].append(rate)
    return rates


def drift_reports(*, user: User, limit: int = 30) -> list[DriftReport]:
    _curator_only(user)
    return list(DriftReport.objects.order_by("-created_at")[:limit])


def drift_trend_chart(reports: Sequence[DriftReport]) -> LineChart:
    """Each check's value over the stored reports, oldest first (checks without a value leave gaps)."""
    ordered = list(reversed(reports))
    names: list[str] = []
    for report in ordered:
        for check in report.checks:
            if check["name"] not in names and check["name"] in (
                "model score PSI",
                "prompt embedding shift",
                "skip rate",
            ):
                names.append(check["name"])
    series = {
        name: [next((c["value"] for c in report.checks if c["name"] == name), None) for report in ordered]
        for name in names
    }
    return line_chart([f"{report.created_at:%m-%d %H:%M}" for report in ordered], series)


def model_promotions(*, user: User, limit: int = 20) -> list[ModelPromotion]:
    _curator_only(user)
    return list(ModelPromotion.objects.order_by("-created_at")[:limit])


# --- schedule -------------------------------------------------------------------------------


@dataclass
class ScheduleEntry:
    name: str
    task: str
    schedule: str
    enabled: bool
    last_run: TaskRun | None
    beat_last_run_at: datetime | None
    total_run_count: int | None


def beat_tasks() -> set[str]:
    return {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def schedule_status(*, user: User) -> list[ScheduleEntry]:
    """Every beat entry (declared in settings or added in the admin) with its last recorded run."""
    _curator_only(user)
    from django_celery_beat.models import PeriodicTask

    periodic = {row.name: row for row in PeriodicTask.objects.select_related("interval", "crontab")}
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        entries[name] = {
            "task": str(entry["task"]),
            "schedule": _schedule_text(entry["schedule"]),
            "enabled": True,
        }
    for name, row in periodic.items():
        if name.startswith("celery."):
            continue
        added_in_admin = {
            "task": row.task,
            "schedule": row.crontab.human_readable if row.crontab else str(row.schedule),
            "enabled": row.enabled,
        }
        current = entries.setdefault(name, added_in_admin)
        current["enabled"] = row.enabled
    tasks = {entry["task"] for entry in entries.values()}
    latest: dict[str, TaskRun] = {}
    for run in TaskRun.objects.filter(task__in=tasks).order_by("task", "-started_at").distinct("task"):
        latest[run.task] = run
    result = []
    for name, entry in sorted(entries.items()):
        row = periodic.get(name)
        result.append(
            ScheduleEntry(
                name=name,
                task=entry["task"],
                schedule=entry["schedule"],
                enabled=entry["enabled"],
                last_run=latest.get(entry["task"]),
                beat_last_run_at=row.last_run_at if row else None,
                total_run_count=row.total_run_count if row else None,
            )
        )
    return result


def _schedule_text(schedule: Any) -> str:
    if isinstance(schedule, int | float):
        seconds = int(schedule)
        if seconds % 3600 == 0:
            return f"every {seconds // 3600} h"
        if seconds % 60 == 0:
            return f"every {seconds // 60} min"
        return f"every {seconds} s"
    return _crontab_text(schedule)


def _crontab_text(schedule: Any) -> str:
    """A crontab in words ("At 03:00"), by cron-descriptor (what django-celery-beat uses too)."""
    fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
    expression = " ".join(str(getattr(schedule, f"_orig_{name}", "*")) for name in fields)
    options = Options()
    options.use_24hour_time_format = True
    try:
        return str(ExpressionDescriptor(expression, options).get_description())
    except (FormatException, MissingFieldException, WrongArgumentException):
        return str(schedule)


def task_runs(*, user: User, task: str | None = None, limit: int = 50) -> list[TaskRun]:
    _curator_only(user)
    runs = TaskRun.objects.all()
    if task:
        runs = runs.filter(task=task)
    return list(runs.order_by("-started_at")[:limit])


def running_experiment() -> Experiment | None:
    return Experiment.objects.filter(Q(status="running")).first()
