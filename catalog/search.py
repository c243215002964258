"""Vector search over the catalog: top-k tracks by cosine similarity, with filters.

pgvector's HNSW index answers unfiltered queries fast, but with a selective filter an index
scan can come back short (DESIGN.md: a 1%-selective filter returned 3 of 30 rows at 200k).
So a filtered query first counts its candidate set: small sets are scanned exactly (the
filter columns are indexed), large ones go through the index with iterative scans, and a
short answer is completed by an exact scan. Either way k rows come back when k exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.expressions import CombinedExpression
from pgvector.django import CosineDistance

from catalog.features import AUDIO_FEATURE_RANGES
from catalog.models import MediaFile, Tag, Track, TrackArtist, TrackTag

RANGE_COLUMNS = frozenset({"duration_ms", "popularity", "release_year"})


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions; tag names match any kind. Ranges are inclusive (low, high)."""

    tags_any: Sequence[str] = ()
    tags_none: Sequence[str] = ()
    feature_ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    year_range: tuple[int | None, int | None] = (None, None)
    exclude_ids: Sequence[int] = ()
    exclude_explicit: bool = False
    # Other numeric Track columns (duration_ms, popularity), inclusive (low, high).
    column_ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    exclude_artist_ids: Sequence[int] = ()
    # Only tracks with a present audio file in a music library (playlists from the listener's music).
    with_audio_only: bool = False

    def is_empty(self) -> bool:
        return not (
            self.tags_any
            or self.tags_none
            or any(low is not None or high is not None for low, high in self.feature_ranges.values())
            or any(low is not None or high is not None for low, high in self.column_ranges.values())
            or self.exclude_artist_ids
            or any(bound is not None for bound in self.year_range)
            or self.exclude_ids
            or self.exclude_explicit
            or self.with_audio_only
        )


@dataclass(frozen=True)
class SearchHit:
    track_id: int
    similarity: float


def apply_filters(queryset: QuerySet[Track], filters: SearchFilters) -> QuerySet[Track]:
    if filters.tags_any:
        queryset = queryset.filter(_has_any_tag(filters.tags_any))
    if filters.tags_none:
        queryset = queryset.exclude(_has_any_tag(filters.tags_none))
    for feature, (low, high) in filters.feature_ranges.items():
        if feature not in AUDIO_FEATURE_RANGES:
            raise ValueError(f"Unknown audio feature {feature!r}")
        queryset = _in_range(queryset, feature, low, high)
    for column, (low, high) in filters.column_ranges.items():
        if column not in RANGE_COLUMNS:
            raise ValueError(f"Unknown numeric column {column!r}")
        queryset = _in_range(queryset, column, low, high)
    year_low, year_high = filters.year_range
    if year_low is not None:
        queryset = queryset.filter(release_year__gte=year_low)
    if year_high is not None:
        queryset = queryset.filter(release_year__lte=year_high)
    if filters.exclude_ids:
        queryset = queryset.exclude(pk__in=list(filters.exclude_ids))
    if filters.exclude_explicit:
        queryset = queryset.filter(explicit=False)
    if filters.with_audio_only:
        queryset = queryset.filter(
            Exists(MediaFile.objects.filter(track=OuterRef("pk"), removed_at__isnull=True))
        )
    if filters.exclude_artist_ids:
        queryset = queryset.exclude(
            Exists(
                TrackArtist.objects.filter(
                    track=OuterRef("pk"), artist_id__in=list(filters.exclude_artist_ids)
                )
            )
        )
    return queryset


def _in_range(
    queryset: QuerySet[Track], column: str, low: float | None, high: float | None
) -> QuerySet[Track]:
    if low is not None:
        queryset = queryset.filter(**{f"{column}__gte": low})
    if high is not None:
        queryset = queryset.filter(**{f"{column}__lte": high})
    return queryset


def _has_any_tag(names: Sequence[str]) -> Exists:
    # Tag ids, not a join on names: the planner then knows from its statistics how many
    # tracks carry each tag, which the choice between index and exact scan relies on.
    tag_ids = list(Tag.objects.filter(name__in=[name.lower() for name in names]).values_list("pk", flat=True))
    return Exists(TrackTag.objects.filter(track=OuterRef("pk"), tag_id__in=tag_ids))


def _ranked(
    queryset: QuerySet[Track], query_vector: np.ndarray, k: int, *, use_index: bool = True
) -> list[SearchHit]:
    distance: CosineDistance | CombinedExpression = CosineDistance("embedding", query_vector)
    if not use_index:
        # "distance + 0" is not the expression the HNSW index orders by, so the planner
        # uses the filter columns' indexes and sorts the filtered rows exactly.
        distance = distance + Value(0.0)
    rows = (
        queryset.filter(embedding__isnull=False)
        .annotate(distance=distance)
        .order_by("distance")
        .values_list("pk", "distance")[:k]
    )
    return [SearchHit(track_id=pk, similarity=1.0 - float(distance)) for pk, distance in rows]


def _set_local(settings_values: Mapping[str, str | int]) -> None:
    """SET LOCAL each setting, in one round trip (a search at 1M rows takes ~10 ms; each trip counts)."""
    calls = ", ".join("set_config(%s, %s, true)" for _ in settings_values)
    params = [str(part) for item in settings_values.items() for part in item]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", params)


@contextmanager
def _planner_setting(name: str, value: str) -> Iterator[None]:
    """A planner setting for the next queries only, put back after them: SET LOCAL would last
    to the end of a caller's enclosing transaction and steer its later queries too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        previous = cursor.fetchone()[0]
    _set_local({name: value})
    try:
        yield
    finally:
        _set_local({name: previous})


def track_vector_search(
    *,
    query_vector: np.ndarray,
    k: int = 10,
    filters: SearchFilters | None = None,
    exact: bool = False,
    complete: bool = True,
) -> list[SearchHit]:
    """The k tracks most similar to ``query_vector`` (unit-normalized) that pass ``filters``.

    ``complete=False`` accepts fewer than k hits when the index walk gives up (after
    ``VECTOR_SEARCH_MAX_SCAN_TUPLES``) and the filtered set is too costly to gather for an exact
    ranking (the planner expects more than ``VECTOR_SEARCH_CANDIDATE_EXACT_MAX_COST``): for
    callers gathering candidates from several searches, where a bounded time matters more. A
    short walk over a set cheap to gather (a graph full of dead rows not yet vacuumed, say) is
    still completed.
    """
    if k <= 0:
        return []
    filters = filters or SearchFilters()
    queryset = apply_filters(Track.objects.all(), filters)
    limits = ExactLimits.for_search(complete=complete)
    with transaction.atomic():
        estimate = None if filters.is_empty() else _estimate(queryset)
        if exact or (estimate is not None and _small_filtered_set(estimate, limits)):
            return _ranked(queryset, query_vector, k, use_index=False)
        _set_local(
            {
                "hnsw.ef_search": max(settings.VECTOR_SEARCH_EF_SEARCH, k),
                # Iterative scans keep walking the graph when filtered-out or dead rows (deleted,
                # rolled back, not yet vacuumed) use up the first ef_search candidates.
                "hnsw.iterative_scan": "relaxed_order",
                "hnsw.max_scan_tuples": settings.VECTOR_SEARCH_MAX_SCAN_TUPLES,
            }
        )
        cheap_to_gather = estimate is not None and limits.allow(estimate)
        if complete or cheap_to_gather:
            hits = _ranked(queryset, query_vector, k)
        else:
            # The bounded walk, not the planner's own choice: for a selective filter over broad
            # ranges it prefers gathering and sorting every match (150-250 ms at 1M tracks).
            with _planner_setting("enable_sort", "off"):
                hits = _ranked(queryset, query_vector, k)
        # relaxed_order may return rows slightly out of order; re-sort them.
        hits.sort(key=lambda hit: -hit.similarity)
        if len(hits) < k and (complete or cheap_to_gather):
            return _ranked(queryset, query_vector, k, use_index=False)
        return hits


@dataclass(frozen=True)
class PlanEstimate:
    """The planner's expectation for the filtered rows: how many, and the work to find them."""

    rows: float
    cost: float  # PostgreSQL cost units (a sequential page read is 1)


@dataclass(frozen=True)
class ExactLimits:
    """When a filtered set may be ranked exactly rather than through the index."""

    rows: int
    cost: float | None = None  # None: any cost

    @classmethod
    def for_search(cls, *, complete: bool) -> ExactLimits:
        if complete:
            return cls(rows=settings.VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS)
        # A candidate search may come back short: it ranks exactly only what is cheap to find.
        return cls(
            rows=settings.VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS,
            cost=settings.VECTOR_SEARCH_CANDIDATE_EXACT_MAX_COST,
        )

    def allow(self, estimate: PlanEstimate) -> bool:
        return estimate.rows <= self.rows and (self.cost is None or estimate.cost <= self.cost)


def _small_filtered_set(estimate: PlanEstimate, limits: ExactLimits) -> bool:
    """Whether a filter leaves few enough tracks, found cheaply enough, to rank them all exactly.

    Decided on the planner's estimates (a fraction of a millisecond) rather than by counting,
    which at a million rows can cost more than the search. Both paths return correct results,
    so a misestimate costs time, never rows.
    """
    if not limits.allow(estimate):
        return False
    # A broad filter on a small catalog is still best served by the index.
    return estimate.rows <= settings.VECTOR_SEARCH_EXACT_SCAN_MAX_SHARE * _catalog_rows()


def _catalog_rows() -> float:
    """The track count as the planner reckons it (rows per page at the last analyze times the
    pages now: one cheap read instead of a plan), or a plan's estimate before any analyze."""
    with connection.cursor() as cursor:
        cursor.execute(_CATALOG_ROWS_SQL, [Track._meta.db_table])
        row = cursor.fetchone()
    if row is not None and row[0] is not None:
        return float(row[0])
    return _estimate(Track.objects.all()).rows


_CATALOG_ROWS_SQL = """
SELECT reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int)
FROM pg_class WHERE oid = %s::regclass AND relpages > 0 AND reltuples >= 0
"""


def _estimate(queryset: QuerySet[Track]) -> PlanEstimate:
    """The planner's rows and total cost for the embedded tracks of ``queryset``."""
    plan = json.loads(queryset.filter(embedding__isnull=False).order_by().values("pk").explain(format="json"))
    return PlanEstimate(rows=float(plan[0]["Plan"]["Plan Rows"]), cost=float(plan[0]["Plan"]["Total Cost"]))
