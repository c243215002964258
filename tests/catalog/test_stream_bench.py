"""The stream-start benchmark's measuring loop, against its static-file baseline (no database)."""

from __future__ import annotations

from pathlib import Path

from catalog.bench import streaming


def test_the_static_baseline_answers_every_ranged_request_with_206(tmp_path: Path) -> None:
    (tmp_path / "song.bin").write_bytes(bytes(range(256)) * 2048)  # 512 KiB

    with streaming.serving(streaming.static_app(tmp_path)) as port:
        summary = streaming.measure(
            "static file", port, "/static/song.bin", size=512 * 1024, requests=20, seed=3
        )

    assert summary.errors == 0
    assert 0 < summary.start_p50 <= summary.start_p95
    assert 0 < summary.seek_p50 <= summary.seek_p95


def test_a_missing_file_counts_as_an_error_not_a_time(tmp_path: Path) -> None:
    with streaming.serving(streaming.static_app(tmp_path)) as port:
        summary = streaming.measure("static file", port, "/static/absent.mp3", size=10, requests=20, seed=3)

    assert summary.errors == 40
    assert not streaming.all_answered(summary, summary)


def test_the_report_prints_both_rows_and_their_ratio() -> None:
    segue = streaming.Summary("Segue stream", 2.0, 4.0, 2.0, 6.0, 0)
    static = streaming.Summary("static file", 1.0, 2.0, 1.0, 2.0, 0)

    lines = streaming.report_lines(segue, static)

    assert lines[1].startswith("Segue stream") and lines[2].startswith("static file")
    assert lines[-1] == "ratio p95 (Segue / static): start 2.00, seek 3.00"
