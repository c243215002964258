"""Vector search over the catalog: top-k tracks by cosine similarity, with filters.

pgvector's HNSW index answers unfiltered queries fast, but with a selective filter an index
scan can come back short (DESIGN.md: a 1%-selective filter returned 3 of 30 rows at 200k).
So a filtered query first counts its candidate set: small sets are scanned exactly (the
filter columns are indexed), large ones go through the index with iterative scans, and a
short answer is completed by an exact scan. Either way k rows come back when k exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from pgvector.django import CosineDistance

from catalog.features import AUDIO_FEATURE_RANGES
from catalog.models import Track, TrackTag


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions; tag names match any kind. Ranges are inclusive (low, high)."""

    tags_any: Sequence[str] = ()
    tags_none: Sequence[str] = ()
    feature_ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    year_range: tuple[int | None, int | None] = (None, None)
    exclude_ids: Sequence[int] = ()
    exclude_explicit: bool = False

    def is_empty(self) -> bool:
        return not (
            self.tags_any
            or self.tags_none
            or any(low is not None or high is not None for low, high in self.feature_ranges.values())
            or any(bound is not None for bound in self.year_range)
            or self.exclude_ids
            or self.exclude_explicit
        )


@dataclass(frozen=True)
class SearchHit:
    track_id: int
    similarity: float


def apply_filters(queryset: QuerySet[Track], filters: SearchFilters) -> QuerySet[Track]:
    if filters.tags_any:
        names = [name.lower() for name in filters.tags_any]
        queryset = queryset.filter(Exists(TrackTag.objects.filter(track=OuterRef("pk"), tag__name__in=names)))
    if filters.tags_none:
        names = [name.lower() for name in filters.tags_none]
        queryset = queryset.exclude(
            Exists(TrackTag.objects.filter(track=OuterRef("pk"), tag__name__in=names))
        )
    for feature, (low, high) in filters.feature_ranges.items():
        if feature not in AUDIO_FEATURE_RANGES:
            raise ValueError(f"Unknown audio feature {feature!r}")
        if low is not None:
            queryset = queryset.filter(**{f"{feature}__gte": low})
        if high is not None:
            queryset = queryset.filter(**{f"{feature}__lte": high})
    year_low, year_high = filters.year_range
    if year_low is not None:
        queryset = queryset.filter(release_year__gte=year_low)
    if year_high is not None:
        queryset = queryset.filter(release_year__lte=year_high)
    if filters.exclude_ids:
        queryset = queryset.exclude(pk__in=list(filters.exclude_ids))
    if filters.exclude_explicit:
        queryset = queryset.filter(explicit=False)
    return queryset


def _ranked(queryset: QuerySet[Track], query_vector: np.ndarray, k: int) -> list[SearchHit]:
    rows = (
        queryset.filter(embedding__isnull=False)
        .annotate(distance=CosineDistance("embedding", query_vector))
        .order_by("distance")
        .values_list("pk", "distance")[:k]
    )
    return [SearchHit(track_id=pk, similarity=1.0 - float(distance)) for pk, distance in rows]


def _set_local(name: str, value: str | int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {name} = {value}")


def track_vector_search(
    *,
    query_vector: np.ndarray,
    k: int = 10,
    filters: SearchFilters | None = None,
    exact: bool = False,
) -> list[SearchHit]:
    """The k tracks most similar to ``query_vector`` (unit-normalized) that pass ``filters``."""
    if k <= 0:
        return []
    filters = filters or SearchFilters()
    queryset = apply_filters(Track.objects.all(), filters)
    with transaction.atomic():
        if exact or _small_filtered_set(queryset, filters):
            return _exact(queryset, query_vector, k)
        _set_local("hnsw.ef_search", max(settings.VECTOR_SEARCH_EF_SEARCH, k))
        # Iterative scans keep walking the graph when filtered-out or dead rows (deleted,
        # rolled back, not yet vacuumed) use up the first ef_search candidates.
        _set_local("hnsw.iterative_scan", "relaxed_order")
        hits = _ranked(queryset, query_vector, k)
        # relaxed_order may return rows slightly out of order; re-sort them.
        hits.sort(key=lambda hit: -hit.similarity)
        if len(hits) < k:
            return _exact(queryset, query_vector, k)
        return hits


def _small_filtered_set(queryset: QuerySet[Track], filters: SearchFilters) -> bool:
    if filters.is_empty():
        return False
    limit = settings.VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS
    # order_by(): the model orders by id, which would sort the whole filtered set just to count it.
    return queryset.filter(embedding__isnull=False).order_by()[: limit + 1].count() <= limit


def _exact(queryset: QuerySet[Track], query_vector: np.ndarray, k: int) -> list[SearchHit]:
    """Exact ranking: the planner is kept off the HNSW index for this transaction."""
    _set_local("enable_indexscan", "off")
    hits = _ranked(queryset, query_vector, k)
    _set_local("enable_indexscan", "on")
    return hits


def q_text(text: str) -> Q:
    """Plain substring match over title, album and artist names (search-as-you-type)."""
    return Q(title__icontains=text) | Q(album__icontains=text) | Q(artists__name__icontains=text)
