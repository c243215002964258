"""The benchmark's arithmetic (plain arrays) and, slow, one tiny end-to-end run of bench_catalog."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalog.bench import figures

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "count"),
    [("28k", 28_000), ("1m", 1_000_000), ("1.5M", 1_500_000), ("200K", 200_000), ("5000", 5000)],
)
def test_parse_size_reads_k_and_m_suffixes(text: str, count: int) -> None:
    assert figures.parse_size(text) == count


@pytest.mark.parametrize("text", ["", "k", "-1k", "1g", "0", "lots"])
def test_parse_size_refuses_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError):
        figures.parse_size(text)


def test_parse_sizes_sorts_and_drops_repeats() -> None:
    assert figures.parse_sizes("1m, 28k,28000") == [28_000, 1_000_000]


def test_latency_summary_percentiles_interpolate_between_samples() -> None:
    summary = figures.latency_summary([float(value) for value in range(1, 101)])
    assert summary.count == 100
    assert summary.p50 == pytest.approx(50.5)
    assert summary.p95 == pytest.approx(95.05)
    assert summary.mean == pytest.approx(50.5)
    assert summary.max == 100.0


def test_latency_summary_of_nothing_is_nan() -> None:
    summary = figures.latency_summary([])
    assert summary.count == 0
    assert math.isnan(summary.p95)


def test_recall_counts_true_top_k_found_in_the_first_k_returned() -> None:
    truth = list(range(10))
    assert figures.recall_at_k(truth[::-1], truth, 10) == 1.0
    assert figures.recall_at_k([0, 1, 2, 3, 4, 5, 6, 7, 98, 99], truth, 10) == 0.8
    # Right answers beyond the k-th returned row do not count.
    assert figures.recall_at_k([*range(20, 29), 0, *range(1, 10)], truth, 10) == 0.1


def test_recall_when_fewer_than_k_rows_pass_the_filter() -> None:
    assert figures.recall_at_k([7, 3], [3, 7], 10) == 1.0
    assert figures.recall_at_k([3], [3, 7], 10) == 0.5
    assert math.isnan(figures.recall_at_k([], [], 10))


def test_mean_recall_skips_queries_with_nothing_to_recall() -> None:
    assert figures.mean_recall([1.0, math.nan, 0.5]) == 0.75
    assert math.isnan(figures.mean_recall([math.nan]))


def test_exact_top_k_matches_a_full_sort_in_chunks_and_under_masks() -> None:
    rng = np.random.default_rng(3)
    vectors = figures.unit_rows(rng.standard_normal((1000, 16)))
    queries = figures.unit_rows(rng.standard_normal((7, 16)))
    even = np.arange(1000) % 2 == 0
    few = np.zeros(1000, dtype=bool)
    few[[5, 500, 999]] = True

    result = figures.exact_top_k(
        vectors, queries, k=10, masks={"all": None, "even": even, "few": few}, chunk_rows=64
    )

    scores = queries @ vectors.T
    for query in range(len(queries)):
        assert result["all"][query].tolist() == np.argsort(-scores[query])[:10].tolist()
        even_rows = np.flatnonzero(even)
        assert (
            result["even"][query].tolist() == even_rows[np.argsort(-scores[query, even_rows])[:10]].tolist()
        )
        assert sorted(result["few"][query].tolist()) == [5, 500, 999]


def test_jitter_keeps_rows_unit_length_near_the_expected_cosine() -> None:
    rng = np.random.default_rng(1)
    vectors = figures.unit_rows(rng.standard_normal((2000, 384)))
    copies = figures.jitter(vectors, sigma=0.01, rng=rng)
    assert copies.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(copies, axis=1), 1.0, rtol=1e-5)
    cosines = np.einsum("ij,ij->i", copies, vectors)
    assert cosines.mean() == pytest.approx(1 / math.sqrt(1 + 384 * 0.01**2), abs=0.01)


def test_jitter_along_the_spread_moves_rows_only_the_ways_the_rows_differ() -> None:
    rng = np.random.default_rng(2)
    basis = np.linalg.qr(rng.standard_normal((384, 3)))[0].T  # the rows live in a 3-d subspace
    vectors = figures.unit_rows(rng.standard_normal((3000, 3)) @ basis)
    spread = figures.spread_of(vectors)

    copies = figures.jitter_along(vectors, spread=spread, cosine=0.9, rng=rng)

    np.testing.assert_allclose(np.linalg.norm(copies, axis=1), 1.0, rtol=1e-5)
    outside = copies - (copies @ basis.T) @ basis
    assert np.abs(outside).max() < 1e-4
    assert np.einsum("ij,ij->i", copies, vectors).mean() == pytest.approx(0.9, abs=0.03)
    with pytest.raises(ValueError, match="cosine"):
        figures.jitter_along(vectors, spread=spread, cosine=1.0, rng=rng)


def _figures(
    rows: int, *, p95: float, recall: float, filtered_recall: float, short: int
) -> figures.SizeFigures:
    return figures.SizeFigures(
        rows=rows,
        variants={
            "unfiltered": figures.VariantFigures(p95_ms=p95, recall_at_10=recall, short_answers=0),
            "tag rock": figures.VariantFigures(
                p95_ms=60.0, recall_at_10=filtered_recall, short_answers=short
            ),
        },
    )


def test_targets_judge_unfiltered_latency_and_recall_at_1m_and_k_rows_for_filtered_queries() -> None:
    searches = [
        _figures(28_356, p95=99.0, recall=0.5, filtered_recall=0.5, short=3),  # below 1M: not judged
        _figures(1_000_000, p95=19.5, recall=0.993, filtered_recall=0.73, short=0),
    ]

    targets = figures.catalog_targets(0.91, searches)

    assert [target.passed for target in targets] == [True, True, True, True]
    assert "recall@10 0.730, no target" in targets[-1].name
    assert targets[-1].shown == "0 short answers"


def test_targets_fail_over_the_bounds_and_say_when_1m_was_not_run() -> None:
    slow = figures.catalog_targets(
        0.79, [_figures(1_000_000, p95=20.5, recall=0.949, filtered_recall=0.99, short=2)]
    )
    assert [target.passed for target in slow] == [False, False, False, False]

    [throughput, search] = figures.catalog_targets(
        0.85, [_figures(28_356, p95=5, recall=1, filtered_recall=1, short=0)]
    )
    assert throughput.passed is True
    assert (search.passed, search.shown) == (None, "not run")


def test_nearest_neighbour_cosines_skip_the_row_itself() -> None:
    rows = figures.unit_rows(np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]))
    np.testing.assert_allclose(figures.nearest_neighbour_cosines(rows, np.array([0, 2])), [0.8, 0.6])


def test_command_refuses_a_missing_spotify_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No Spotify file"):
        call_command("bench_catalog", spotify=tmp_path / "missing.csv.gz")


def test_command_refuses_bad_sizes(tmp_path: Path) -> None:
    data = tmp_path / "songs.csv"
    data.write_text("track_id\n")
    with pytest.raises(CommandError, match="--sizes"):
        call_command("bench_catalog", spotify=data, sizes="lots")
    with pytest.raises(CommandError, match="--copy-cosine"):
        call_command("bench_catalog", spotify=data, copy_cosine=1.5)


SPOTIFY_COLUMNS = [
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
]
GENRES = [
    ("rock", "classic rock"),
    ("r&b", "neo soul"),
    ("pop", "dance pop"),
    ("edm", "big room"),
    ("rap", "trap"),
]
WORDS = ["river", "neon", "summer", "midnight", "golden", "storm", "velvet", "echo", "fire", "paper"]


def _write_spotify_like_csv(path: Path, rows: int) -> None:
    """Made-up rows with the Spotify set's columns (the real data never enters the tests)."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SPOTIFY_COLUMNS)
        writer.writeheader()
        for i in range(rows):
            genre, subgenre = GENRES[i % len(GENRES)]
            writer.writerow(
                {
                    "track_id": f"trk{i:05d}",
                    "track_name": f"{WORDS[i % 10].title()} {WORDS[(i * 3 + 1) % 10]} {i}",
                    "track_artist": f"The {WORDS[(i * 7) % 10].title()}s",
                    "track_popularity": i % 100,
                    "track_album_id": f"alb{i // 4}",
                    "track_album_name": f"Album {WORDS[(i // 4) % 10]}",
                    "track_album_release_date": f"{1970 + i % 50}-06-01",
                    "playlist_name": "Test list",
                    "playlist_id": "pl1",
                    "playlist_genre": genre,
                    "playlist_subgenre": subgenre,
                    "danceability": round((i % 7) / 7, 3),
                    "energy": round(0.05 + (i % 10) / 10, 3),
                    "key": i % 12,
                    "loudness": -5.5,
                    "mode": i % 2,
                    "speechiness": 0.05,
                    "acousticness": round((i % 5) / 5, 3),
                    "instrumentalness": 0.0,
                    "liveness": 0.1,
                    "valence": round((i % 9) / 9, 3),
                    "tempo": 80 + i % 90,
                    "duration_ms": 180_000 + i,
                }
            )


@pytest.mark.slow
@pytest.mark.model
def test_bench_catalog_end_to_end_on_a_tiny_generated_catalog(tmp_path: Path) -> None:
    """Import, embed, grow to 2k rows by COPY, rebuild HNSW, search and score, in a scratch database."""
    data = tmp_path / "songs.csv"
    _write_spotify_like_csv(data, rows=50)
    output = tmp_path / "figures.json"
    # Its own process: the command creates and drops its scratch database like the test runner does.
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_catalog",
            "--spotify",
            str(data),
            "--sizes",
            "2k",
            "--queries",
            "12",
            "--scratch-db",
            "segue_bench_pytest",
            "--output",
            str(output),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    report = json.loads(output.read_text())
    assert report["import_embed"]["tracks"] == 50
    assert report["import_embed"]["embedded"] == 50
    [search] = report["search"]
    assert search["rows"] == 2000
    assert search["load_seconds"]["build_hnsw"] > 0
    for label, variant in search["variants"].items():
        assert variant["short_answers"] == 0, label
        # The SQL exact path and the numpy truth must name the same ids.
        assert variant["exact_sql_agreement"] == pytest.approx(1.0, abs=0.02), label
    assert search["variants"]["unfiltered"]["recall_at_10"] >= 0.9
    assert search["variants"]["tag rock"]["selectivity"] == pytest.approx(0.2, abs=0.05)
    assert "Targets" in completed.stdout
