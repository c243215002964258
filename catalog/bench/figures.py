"""Numbers for ``manage.py bench_catalog`` (numpy only, no Django): sizes, latencies, recall.

Kept apart from the command so the arithmetic that decides PASS/FAIL is tested on plain arrays.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# The targets of the catalog issue: import + embed against the raw encoder; search at 1M rows.
TARGET_THROUGHPUT_RATIO = 0.80
TARGET_SIZE = 1_000_000
TARGET_P95_MS = 20.0
TARGET_RECALL = 0.95
UNFILTERED = "unfiltered"

_SIZE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([km]?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """'28k' -> 28_000, '1m' -> 1_000_000, '1.5m' -> 1_500_000, '5000' -> 5000."""
    match = _SIZE_PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like 28k, 200k or 1m")
    count = round(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])
    if count <= 0:
        raise ValueError(f"{text!r} is not a positive size")
    return count


def parse_sizes(text: str) -> list[int]:
    """A comma-separated list of sizes, ascending and without repeats."""
    sizes = {parse_size(part) for part in text.split(",") if part.strip()}
    if not sizes:
        raise ValueError("no sizes given")
    return sorted(sizes)


@dataclass(frozen=True)
class LatencySummary:
    """Milliseconds; percentiles interpolate linearly between samples (numpy's default)."""

    count: int
    p50: float
    p95: float
    mean: float
    max: float


def latency_summary(milliseconds: Sequence[float]) -> LatencySummary:
    if len(milliseconds) == 0:
        return LatencySummary(count=0, p50=math.nan, p95=math.nan, mean=math.nan, max=math.nan)
    values = np.asarray(milliseconds, dtype=np.float64)
    p50, p95 = np.percentile(values, [50, 95])
    return LatencySummary(
        count=len(values), p50=float(p50), p95=float(p95), mean=float(values.mean()), max=float(values.max())
    )


def recall_at_k(found: Sequence[int], truth: Sequence[int], k: int) -> float:
    """Share of the true top k found among the first k returned.

    When fewer than k rows pass a filter the truth is shorter than k, and finding all of
    them is a recall of 1. NaN when nothing passes (there is nothing to recall).
    """
    expected = set(list(truth)[:k])
    if not expected:
        return math.nan
    return len(expected & set(list(found)[:k])) / len(expected)


def mean_recall(recalls: Sequence[float]) -> float:
    values = [value for value in recalls if not math.isnan(value)]
    return float(np.mean(values)) if values else math.nan


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def jitter(vectors: np.ndarray, *, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Each row plus N(0, sigma^2) noise per dimension, renormalized to unit length.

    For d-dimensional unit rows the expected cosine to the original is about
    1 / sqrt(1 + d * sigma^2) (0.90 for d=384, sigma=0.025).
    """
    noise = rng.standard_normal(vectors.shape, dtype=np.float32) * np.float32(sigma)
    return unit_rows(vectors + noise)


@dataclass(frozen=True)
class Spread:
    """How a set of rows varies: its principal axes (rows of ``axes``) and the standard
    deviation along each (``deviations``), from the eigendecomposition of its covariance."""

    axes: np.ndarray
    deviations: np.ndarray

    @property
    def total_variance(self) -> float:
        return float(np.square(self.deviations).sum())


def spread_of(vectors: np.ndarray) -> Spread:
    rows = np.asarray(vectors, dtype=np.float64)
    centered = rows - rows.mean(axis=0)
    covariance = centered.T @ centered / max(len(rows) - 1, 1)
    variances, axes = np.linalg.eigh(covariance)
    return Spread(
        axes=axes.T.astype(np.float32),
        deviations=np.sqrt(np.clip(variances, 0.0, None)).astype(np.float32),
    )


def jitter_along(
    vectors: np.ndarray, *, spread: Spread, cosine: float, rng: np.random.Generator
) -> np.ndarray:
    """Each row plus noise drawn from ``spread`` (the real rows' own covariance), renormalized.

    The noise is scaled so a copy sits at about ``cosine`` from its source: a row moves the
    ways real rows differ from one another, not in every one of the 384 dimensions alike.
    For unit rows and noise of total variance v, the expected cosine is about 1 / sqrt(1 + v).
    """
    if not 0.0 < cosine < 1.0:
        raise ValueError("cosine must be between 0 and 1")
    scale = math.sqrt((1.0 / cosine**2 - 1.0) / spread.total_variance)
    standard = rng.standard_normal((len(vectors), len(spread.deviations)), dtype=np.float32)
    noise = (standard * (spread.deviations * np.float32(scale))) @ spread.axes
    return unit_rows(np.asarray(vectors, dtype=np.float32) + noise)


def nearest_neighbour_cosines(rows: np.ndarray, sample_rows: np.ndarray) -> np.ndarray:
    """For each row index in ``sample_rows``, the cosine of that row to its nearest other row."""
    similarities = rows[sample_rows] @ rows.T
    similarities[np.arange(len(sample_rows)), sample_rows] = -np.inf
    return similarities.max(axis=1)


def exact_top_k(
    vectors: np.ndarray,
    queries: np.ndarray,
    *,
    k: int,
    masks: Mapping[str, np.ndarray | None],
    chunk_rows: int = 100_000,
) -> dict[str, list[np.ndarray]]:
    """Brute-force top k by inner product (cosine for unit rows) among the rows each mask allows.

    ``masks`` maps a label to a boolean array over the rows (None: every row). Returns, per
    label, one array of row indices per query, best first; shorter than k when fewer rows
    pass the mask. Works through the rows in chunks so a million rows need no (q, n) matrix.
    """
    query_count = len(queries)
    best_scores = {label: np.full((query_count, 0), -np.inf, dtype=np.float32) for label in masks}
    best_rows = {label: np.zeros((query_count, 0), dtype=np.int64) for label in masks}
    for start, stop in _chunks(len(vectors), chunk_rows):
        scores = queries @ vectors[start:stop].T
        for label, mask in masks.items():
            masked = scores if mask is None else np.where(mask[start:stop], scores, -np.inf)
            merged_scores = np.concatenate([best_scores[label], masked], axis=1)
            merged_rows = np.concatenate(
                [best_rows[label], np.broadcast_to(np.arange(start, stop), masked.shape)], axis=1
            )
            keep = min(k, merged_scores.shape[1])
            top = np.argpartition(-merged_scores, keep - 1, axis=1)[:, :keep]
            best_scores[label] = np.take_along_axis(merged_scores, top, axis=1)
            best_rows[label] = np.take_along_axis(merged_rows, top, axis=1)
    results: dict[str, list[np.ndarray]] = {}
    for label in masks:
        order = np.argsort(-best_scores[label], axis=1, kind="stable")
        scores = np.take_along_axis(best_scores[label], order, axis=1)
        rows = np.take_along_axis(best_rows[label], order, axis=1)
        results[label] = [row[np.isfinite(score)] for row, score in zip(rows, scores, strict=True)]
    return results


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


@dataclass(frozen=True)
class VariantFigures:
    """What the targets read of one search variant (a filter) at one size."""

    p95_ms: float
    recall_at_10: float
    short_answers: int


@dataclass(frozen=True)
class SizeFigures:
    rows: int
    variants: Mapping[str, VariantFigures]


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None
    passed: bool | None  # None: not measured in this run
    shown: str


def catalog_targets(throughput_ratio: float, searches: Sequence[SizeFigures]) -> list[Target]:
    """PASS/FAIL of the issue's targets: throughput ratio; at 1M rows, unfiltered p95 and recall@10,
    and k rows for every filtered query. Filtered recall has no target; it is shown in the name so
    a regression is seen (BENCHMARKS.md, "Filtered recall at 1M")."""
    targets = [
        Target(
            "import + embed >= 80% of the raw encoder's throughput",
            throughput_ratio,
            passed=throughput_ratio >= TARGET_THROUGHPUT_RATIO,
            shown=f"{throughput_ratio:.2f}",
        )
    ]
    at_target = [search for search in searches if search.rows >= TARGET_SIZE]
    if not at_target:
        return [
            *targets,
            Target(f"search targets at {TARGET_SIZE:,} rows", None, passed=None, shown="not run"),
        ]
    search = min(at_target, key=lambda figures: figures.rows)
    unfiltered = search.variants[UNFILTERED]
    targets += [
        Target(
            f"p95 <= {TARGET_P95_MS:g} ms unfiltered at {search.rows:,} rows",
            unfiltered.p95_ms,
            passed=unfiltered.p95_ms <= TARGET_P95_MS,
            shown=f"{unfiltered.p95_ms:.1f} ms",
        ),
        Target(
            f"recall@10 >= {TARGET_RECALL} unfiltered at {search.rows:,} rows",
            unfiltered.recall_at_10,
            passed=unfiltered.recall_at_10 >= TARGET_RECALL,
            shown=f"{unfiltered.recall_at_10:.3f}",
        ),
    ]
    for label, variant in search.variants.items():
        if label != UNFILTERED:
            targets.append(
                Target(
                    f"{label}: k rows for every query at {search.rows:,} rows "
                    f"(recall@10 {variant.recall_at_10:.3f}, no target)",
                    variant.short_answers,
                    passed=variant.short_answers == 0,
                    shown=f"{variant.short_answers} short answers",
                )
            )
    return targets
