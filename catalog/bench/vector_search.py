"""The benchmark's search part: every filter variant timed against the exact (numpy) truth.

Offline only (``manage.py bench_catalog``): nothing on the request path imports it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from pgvector.django import CosineDistance
from tqdm import tqdm

from catalog import search
from catalog.bench import figures
from catalog.bench.console import Console
from catalog.bench.figures import LatencySummary
from catalog.bench.scratch import Catalog
from catalog.models import Track
from catalog.search import SearchFilters, apply_filters, track_vector_search

K = 10
WARMUP_QUERIES = 5
# Above this many rows the SQL exact-scan baseline is timed on a sample only (about 1 s a query at 1M).
EXACT_SQL_FULL_MAX_ROWS = 100_000
EXACT_SQL_SAMPLE = 10

# The filtered variants: a common genre (~16%), a ~1% combination, a wide feature range (~34%).
VARIANTS: dict[str, SearchFilters] = {
    figures.UNFILTERED: SearchFilters(),
    "tag rock": SearchFilters(tags_any=["rock"]),
    "r&b up to 1989": SearchFilters(tags_any=["r&b"], year_range=(None, 1989)),
    "energy >= 0.8": SearchFilters(feature_ranges={"energy": (0.8, None)}),
}


@dataclass
class VariantResult:
    rows_passing: int
    selectivity: float
    path: str
    latency_ms: LatencySummary
    recall_at_10: float
    short_answers: int
    exact_sql_ms: LatencySummary
    exact_sql_agreement: float


@dataclass
class SizeResult:
    rows: int
    load_seconds: dict[str, float] = field(default_factory=dict)
    variants: dict[str, VariantResult] = field(default_factory=dict)
    load_average: float = 0.0


def filter_mask(catalog: Catalog, filters: SearchFilters) -> np.ndarray | None:
    """Which rows pass ``filters``, computed as SearchFilters defines it (for the exact truth)."""
    if filters.is_empty():
        return None
    if filters.tags_none or filters.exclude_ids or filters.exclude_explicit:
        raise NotImplementedError("The benchmark's masks cover tags_any, year_range and feature_ranges.")
    real = np.ones(catalog.real_count, dtype=bool)
    if filters.tags_any:
        names = {name.lower() for name in filters.tags_any}
        real &= np.array([bool(tags & names) for tags in catalog.tag_names])
    low, high = filters.year_range
    # NaN (no year / no value) fails every comparison, as NULL fails the SQL filter.
    if low is not None:
        real &= catalog.years >= low
    if high is not None:
        real &= catalog.years <= high
    for feature, (feature_low, feature_high) in filters.feature_ranges.items():
        values = catalog.features[feature]
        if feature_low is not None:
            real &= values >= feature_low
        if feature_high is not None:
            real &= values <= feature_high
    return real[catalog.source_row]


def variants_search(
    catalog: Catalog, queries: np.ndarray, *, console: Console, budget: float, explain: bool
) -> dict[str, VariantResult]:
    masks = {label: filter_mask(catalog, filters) for label, filters in VARIANTS.items()}
    started = time.perf_counter()
    truth_rows = figures.exact_top_k(catalog.vectors, queries, k=K, masks=masks)
    truth = {
        label: [catalog.ids[rows].tolist() for rows in per_query] for label, per_query in truth_rows.items()
    }
    console.stderr.write(f"Exact top {K} by numpy brute force: {time.perf_counter() - started:.1f} s")
    exact_sample = len(queries) if catalog.size <= EXACT_SQL_FULL_MAX_ROWS else EXACT_SQL_SAMPLE

    results = {}
    for label, filters in VARIANTS.items():
        mask = masks[label]
        passing = catalog.size if mask is None else int(mask.sum())
        path = search_path(filters)
        latencies, found = timed_queries(
            queries, filters, budget=budget, console=console, desc=f"{label} ({catalog.size:,})"
        )
        exact_latencies, exact_found = timed_queries(
            queries[:exact_sample],
            filters,
            budget=budget,
            console=console,
            exact=True,
            desc=f"{label} exact SQL",
        )
        if explain:
            plan_print(queries[0], filters, label, console=console)
        results[label] = VariantResult(
            rows_passing=passing,
            selectivity=passing / catalog.size,
            path=path,
            latency_ms=figures.latency_summary(latencies),
            recall_at_10=figures.mean_recall(
                [figures.recall_at_k(ids, true, K) for ids, true in zip(found, truth[label], strict=False)]
            ),
            short_answers=sum(len(ids) < min(K, passing) for ids in found),
            exact_sql_ms=figures.latency_summary(exact_latencies),
            exact_sql_agreement=figures.mean_recall(
                [
                    figures.recall_at_k(ids, true, K)
                    for ids, true in zip(exact_found, truth[label], strict=False)
                ]
            ),
        )
    return results


def search_path(filters: SearchFilters) -> str:
    """Which path track_vector_search takes for this filter here, as the search module decides it."""
    if filters.is_empty():
        return "index"
    decide = getattr(search, "_small_filtered_set", None)  # a private helper: diagnostics only
    if decide is None:
        return "?"
    with transaction.atomic():
        estimate = search._estimate(apply_filters(Track.objects.all(), filters))
        small = decide(estimate, search.ExactLimits.for_search(complete=True))
        return "exact" if small else "index"


def timed_queries(
    queries: np.ndarray,
    filters: SearchFilters,
    *,
    budget: float,
    console: Console,
    desc: str,
    exact: bool = False,
) -> tuple[list[float], list[list[int]]]:
    """Time each query; stop early once the variant has used its --budget (a pathological path
    can take seconds a query at 1M, and its figure is clear after a few dozen)."""
    for query in queries[:WARMUP_QUERIES]:
        track_vector_search(query_vector=query, k=K, filters=filters, exact=exact)
    latencies: list[float] = []
    found: list[list[int]] = []
    deadline = time.perf_counter() + budget
    for query in tqdm(queries, desc=desc, unit="query", file=console.stderr, leave=False):
        started = time.perf_counter()
        hits = track_vector_search(query_vector=query, k=K, filters=filters, exact=exact)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append([hit.track_id for hit in hits])
        if started > deadline:
            break
    return latencies, found


def plan_print(query: np.ndarray, filters: SearchFilters, label: str, *, console: Console) -> None:
    """The plan of the index path's ranking query, rebuilt here as catalog.search builds it."""
    ranked = (
        apply_filters(Track.objects.all(), filters)
        .filter(embedding__isnull=False)
        .annotate(distance=CosineDistance("embedding", query))
        .order_by("distance")
        .values_list("pk", "distance")[:K]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {max(settings.VECTOR_SEARCH_EF_SEARCH, K)}")
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        plan = ranked.explain(analyze=True, buffers=True)
    plan = re.sub(r"'\[[^']*\]'::vector", "'[...]'::vector", plan)
    console.stdout.write(f"  EXPLAIN ANALYZE, {label}, index path:\n    " + plan.replace("\n", "\n    "))


def search_print(result: SizeResult, *, console: Console) -> None:
    console.stdout.write(
        f"  {'variant':<16} {'rows passing':>13} {'share':>6} {'path':<6} {'n':>4} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'mean ms':>8} {'recall@10':>9} {'short':>5} | {'exact SQL p50':>13} {'n':>4} "
        f"{'agree':>5}"
    )
    for label, variant in result.variants.items():
        latency, exact = variant.latency_ms, variant.exact_sql_ms
        console.stdout.write(
            f"  {label:<16} {variant.rows_passing:>13,} {variant.selectivity:>6.1%} {variant.path:<6} "
            f"{latency.count:>4} {latency.p50:>7.1f} {latency.p95:>7.1f} {latency.mean:>8.1f} "
            f"{variant.recall_at_10:>9.3f} {variant.short_answers:>5} | "
            f"{exact.p50:>10.1f} ms {exact.count:>4} {variant.exact_sql_agreement:>5.3f}"
        )
    console.stdout.write(
        "  (n: queries timed, fewer than asked when --budget ran out; short: answers with fewer than 10 "
        "rows; exact SQL: track_vector_search(exact=True), the baseline; agree: its recall@10 against "
        "the numpy truth, 1.000 when ids match)"
    )
