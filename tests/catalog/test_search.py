"""Vector search against the real pgvector HNSW index."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import override_settings

from catalog.models import Track
from catalog.search import SearchFilters, track_vector_search
from tests.catalog.factories import TrackFactory, unit_vector

pytestmark = pytest.mark.django_db

CATALOG_SIZE = 1500


def _bulk_catalog(size: int = CATALOG_SIZE) -> np.ndarray:
    """Clustered unit vectors (like real embeddings); every 100th track is 'rare' and from 1975."""
    rng = np.random.default_rng(42)
    centers = rng.standard_normal((20, 384))
    vectors = centers[rng.integers(0, 20, size)] + 0.6 * rng.standard_normal((size, 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    Track.objects.bulk_create(
        Track(
            source="test",
            source_id=f"b{i}",
            title=f"Song {i}",
            energy=float(i % 10) / 10,
            release_year=1975 if i % 100 == 0 else 2005,
            embedding=vectors[i],
        )
        for i in range(size)
    )
    return vectors


def _exact_top_k(vectors: np.ndarray, ids: list[int], query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(vectors @ query))[:k]
    return [ids[i] for i in order]


def test_hnsw_recall_at_10_against_exact_search_is_at_least_095() -> None:
    vectors = _bulk_catalog()
    pk_by_source_id = dict(Track.objects.values_list("source_id", "pk"))
    ids = [pk_by_source_id[f"b{i}"] for i in range(len(vectors))]
    rng = np.random.default_rng(7)
    recalls = []
    for _ in range(30):
        query = vectors[rng.integers(0, len(vectors))] + 0.3 * rng.standard_normal(384).astype(np.float32)
        query /= np.linalg.norm(query)
        found = [hit.track_id for hit in track_vector_search(query_vector=query, k=10)]
        assert len(found) == 10
        recalls.append(len(set(found) & set(_exact_top_k(vectors, ids, query, 10))) / 10)
    assert np.mean(recalls) >= 0.95


@override_settings(VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS=5)
def test_one_percent_selective_filter_still_returns_k_rows_through_the_index_path() -> None:
    _bulk_catalog()
    query = unit_vector(999)
    hits = track_vector_search(query_vector=query, k=10, filters=SearchFilters(year_range=(1970, 1979)))
    assert len(hits) == 10
    years = set(
        Track.objects.filter(pk__in=[hit.track_id for hit in hits]).values_list("release_year", flat=True)
    )
    assert years == {1975}
    similarities = [hit.similarity for hit in hits]
    assert similarities == sorted(similarities, reverse=True)


def _search_with_an_index_walk_giving_up(filters: SearchFilters, *, complete: bool) -> list:
    """Search with an index walk that gives up early, as when max_scan_tuples is spent on dead rows:
    a walk of about 20 tuples finds few of the 1% rare tracks (PostgreSQL stops it, for real).

    The planner is held to the HNSW walk for the rest of the test's transaction: on a table this
    small its statistics (left by whichever tests ran before) may otherwise favour the year index
    and a sort, which never gives up.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    return track_vector_search(query_vector=unit_vector(999), k=10, filters=filters, complete=complete)


# The planner never expects fewer than 1 row, so no filtered set is ranked exactly up front.
@override_settings(
    VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS=0, VECTOR_SEARCH_EF_SEARCH=10, VECTOR_SEARCH_MAX_SCAN_TUPLES=20
)
def test_a_walk_that_gives_up_is_completed_exactly_unless_the_caller_takes_what_was_found() -> None:
    _bulk_catalog()
    rare = SearchFilters(year_range=(1970, 1979))

    completed = _search_with_an_index_walk_giving_up(rare, complete=True)
    partial = _search_with_an_index_walk_giving_up(rare, complete=False)

    assert len(completed) == 10
    assert len(partial) < 10
    rare_ids = set(Track.objects.filter(release_year=1975).values_list("pk", flat=True))
    assert {hit.track_id for hit in partial} <= rare_ids


@override_settings(
    VECTOR_SEARCH_EXACT_SCAN_MAX_SHARE=0.0, VECTOR_SEARCH_EF_SEARCH=10, VECTOR_SEARCH_MAX_SCAN_TUPLES=20
)
def test_a_short_walk_over_a_small_filtered_set_is_completed_even_for_a_caller_taking_partial() -> None:
    """Dead rows not yet vacuumed can end an index walk early; a small set is still ranked in full."""
    _bulk_catalog()
    rare = SearchFilters(year_range=(1970, 1979))

    assert len(_search_with_an_index_walk_giving_up(rare, complete=False)) == 10


@override_settings(VECTOR_SEARCH_EF_SEARCH=123, VECTOR_SEARCH_MAX_SCAN_TUPLES=4567)
def test_the_index_walk_runs_with_the_configured_scan_settings() -> None:
    from django.db import connection

    TrackFactory()
    seen: list[tuple[str, ...]] = []

    def note_settings_of_vector_queries(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "<=>" in sql:  # pgvector's cosine distance: a ranking query, read on its own cursor
            seen.append(_scan_settings_on(context["cursor"].cursor))
        return execute(sql, params, many, context)

    def walk_settings(k: int) -> tuple[str, ...]:
        seen.clear()
        with connection.execute_wrapper(note_settings_of_vector_queries):
            track_vector_search(query_vector=unit_vector(1), k=k)
        return seen[0]  # the index walk; a short answer is then completed exactly

    assert walk_settings(1) == ("123", "relaxed_order", "4567")
    assert walk_settings(400) == ("400", "relaxed_order", "4567")  # ef_search is at least k


def _scan_settings_on(cursor) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    names = ("hnsw.ef_search", "hnsw.iterative_scan", "hnsw.max_scan_tuples")
    cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
    return tuple(cursor.fetchone())


def test_selective_filter_uses_exact_scan_and_matches_exact_order() -> None:
    _bulk_catalog()
    query = unit_vector(5)
    filters = SearchFilters(year_range=(1970, 1979))
    assert track_vector_search(query_vector=query, k=10, filters=filters) == track_vector_search(
        query_vector=query, k=10, filters=filters, exact=True
    )


def test_tag_and_feature_filters_and_exclusions() -> None:
    jazz = [TrackFactory(tags=["jazz"], energy=0.2) for _ in range(3)]
    rap = TrackFactory(tags=["rap"], energy=0.9)
    both = TrackFactory(tags=["jazz", "rap"], energy=0.2)
    query = unit_vector(1)

    def found(filters: SearchFilters) -> set[int]:
        return {hit.track_id for hit in track_vector_search(query_vector=query, k=10, filters=filters)}

    assert found(SearchFilters(tags_any=["Jazz"])) == {t.pk for t in [*jazz, both]}
    assert found(SearchFilters(tags_any=["jazz"], tags_none=["rap"])) == {t.pk for t in jazz}
    assert found(SearchFilters(feature_ranges={"energy": (0.5, None)})) == {rap.pk}
    assert found(SearchFilters(tags_any=["jazz"], exclude_ids=[jazz[0].pk])) == {
        t.pk for t in [jazz[1], jazz[2], both]
    }


def test_tracks_without_embedding_are_not_returned() -> None:
    TrackFactory(embedding=None)
    embedded = TrackFactory()
    assert [hit.track_id for hit in track_vector_search(query_vector=unit_vector(3), k=5)] == [embedded.pk]


def test_unknown_feature_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown audio feature"):
        track_vector_search(
            query_vector=unit_vector(3), k=5, filters=SearchFilters(feature_ranges={"colour": (0, 1)})
        )


def _sort_setting_of_rankings(**search: object) -> tuple[list[str], list[int]]:
    """enable_sort as each ranking query ran, and the ids the search returned."""
    from django.db import connection

    seen: list[str] = []

    def note(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "<=>" in sql:
            cursor = context["cursor"].cursor
            cursor.execute("SELECT current_setting('enable_sort')")
            seen.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        hits = track_vector_search(**search)  # type: ignore[arg-type]
    return seen, [hit.track_id for hit in hits]


@override_settings(VECTOR_SEARCH_CANDIDATE_EXACT_MAX_COST=0.0)
def test_a_candidate_search_walks_the_index_when_finding_the_set_would_cost_too_much() -> None:
    """A playlist's candidate search ranks exactly only what is cheap to find; anything else is
    a bounded index walk the planner may not turn into gather-and-sort. Others still rank it all."""
    vectors = _bulk_catalog()
    rare = SearchFilters(year_range=(1970, 1979))
    rare_ids = set(Track.objects.filter(release_year=1975).values_list("pk", flat=True))

    walked, partial = _sort_setting_of_rankings(query_vector=vectors[0], k=10, filters=rare, complete=False)
    ranked, full = _sort_setting_of_rankings(query_vector=vectors[0], k=10, filters=rare, complete=True)

    assert walked == ["off"]  # one bounded walk, not completed: the set is not cheap to rank
    assert set(partial) <= rare_ids
    assert ranked == ["on"] and len(full) == 10 and set(full) <= rare_ids
