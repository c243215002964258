"""Reads for the monitoring pages: exposure fairness, drift (windows for the drift report, its
trend, model-quality decisions) and the beat schedule's runs. Curators only: 404 otherwise."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
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
from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from catalog.features import AUDIO_FEATURES
from catalog.models import Tag, TagKind, Track
from editorial.charts import LineChart, line_chart
from editorial.experiments.measures import (
    version_outcomes,
)
from editorial.experiments.models import (
    DriftReport,
    ModelPromotion,
    TaskRun,
)
from editorial.experiments.selectors import curator_only
from editorial.experiments.stats import fairness
from editorial.exposure import (
    ExposureCount,
    ExposureSummary,
    exposure_summary,
    long_tail_share,
)
from editorial.selectors import LONG_TAIL, exposure_count, exposure_counts, exposure_placements
from playlists.models import PlaylistItem, PlaylistVersion, VersionCause, VersionStatus

DRIFT_FEATURES = ("energy", "valence", "danceability", "tempo", "acousticness", "popularity")
MAX_SCORES_PER_WINDOW = 50_000
MAX_TRACKS_PER_WINDOW = 50_000

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
    curator_only(user)
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
    curator_only(user)
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
    curator_only(user)
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
    curator_only(user)
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
    curator_only(user)
    runs = TaskRun.objects.all()
    if task:
        runs = runs.filter(task=task)
    return list(runs.order_by("-started_at")[:limit])
