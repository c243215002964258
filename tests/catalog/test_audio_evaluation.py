"""evaluate_analysis and bench_analysis: their judgement on plain numbers, and the commands end to end."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from catalog.audio.analysis import AudioAnalysis
from catalog.bench import analysis_throughput, synth
from catalog.bench.analysis_accuracy import CaseResult, EvaluationCase, EvaluationReport


def measured(*, tempo: float | None, key: int | None, mode: int | None, lufs: float | None) -> AudioAnalysis:
    return AudioAnalysis(
        duration_ms=30_000,
        sample_rate=44100,
        channels=2,
        excerpt_start_seconds=0.0,
        excerpt_seconds=30.0,
        tempo=tempo,
        key=key,
        mode=mode,
        key_confidence=0.8,
        loudness_lufs=lufs,
        loudness=lufs,
        dynamic_range=1.0,
        energy=0.5,
        danceability=0.5,
        sound_vector=np.ones(64, dtype=np.float32) / 8,
    )


def song_case(name: str, tempo: float = 100.0, key: int = 0, mode: int = 1) -> EvaluationCase:
    spec = synth.SongSpec(tempo_bpm=tempo, key=key, mode=mode)
    return EvaluationCase(path=Path(name), audio_format="wav", spec=spec, reference_lufs=-20.0)


def test_an_octave_error_is_a_wrong_tempo_and_the_report_says_which_target_is_missed() -> None:
    right = CaseResult(song_case("a.wav"), analysis=measured(tempo=101.5, key=0, mode=1, lufs=-20.4))
    doubled = CaseResult(song_case("b.wav"), analysis=measured(tempo=200.0, key=0, mode=1, lufs=-19.5))
    broken = CaseResult(
        EvaluationCase(path=Path("notes.mp3"), audio_format="mp3"), refusal="not an audio file"
    )

    report = EvaluationReport([right, doubled, broken])

    assert right.tempo_correct and not doubled.tempo_correct
    assert report.tempo_share == 0.5 and report.key_share == 1.0 and report.loudness_share == 1.0
    assert report.broken_refused == 1 and report.crashes == 0
    targets = report.targets()
    assert not targets["tempo within 2 %"][1] and targets["key and mode exact"][1]
    assert not report.all_targets_met
    assert any("b.wav: tempo 100.0 -> 200.0" in line for line in report.lines())


def test_a_crash_or_a_refused_song_misses_the_targets() -> None:
    refused = CaseResult(song_case("a.wav"), refusal="truncated: …")
    crashed = CaseResult(
        EvaluationCase(path=Path("random.mp3"), audio_format="mp3"), crash="ValueError: boom"
    )

    report = EvaluationReport([refused, crashed])

    assert report.analysed_share == 0.0 and report.crashes == 1
    assert not report.targets()["crashes"][1] and not report.targets()["well-formed files analysed"][1]


def test_the_benchmark_judges_tracks_a_minute_and_failures() -> None:
    fast = analysis_throughput.Throughput("tags + analysis", 24, 12.0, {1: 380.0, 2: 390.0}, 0, 24.0)
    floor = analysis_throughput.Throughput("decode the excerpt alone", 24, 2.4, {1: 300.0, 2: 300.0}, 0, 4.0)

    result = analysis_throughput.BenchmarkResult(
        scan=fast, decode=floor, processes=2, load_average=(1.0, 1.0, 1.0)
    )

    assert fast.tracks_per_minute == 120.0 and result.ratio == pytest.approx(0.2)
    assert fast.tracks_per_minute_on_idle_cores(2) == 120.0
    assert result.target_met
    assert "ok   tags + analysis: 120.0 tracks/min" in "\n".join(result.lines())


@pytest.mark.slow
def test_evaluate_analysis_command_synthesizes_analyses_and_reports(tmp_path: Path) -> None:
    out = StringIO()

    call_command(
        "evaluate_analysis",
        "--count",
        "3",
        "--seed",
        "5",
        "--out",
        str(tmp_path),
        stdout=out,
        stderr=StringIO(),
    )

    text = out.getvalue()
    assert "3 synthesized songs" in text and "5 broken files" in text
    assert "All targets met." in text
    assert "truncated-whole.mp3: truncated" in text and "truncated-whole.flac: truncated" in text
    assert len(list(tmp_path.iterdir())) == 3 + 5


@pytest.mark.slow
def test_benchmark_pool_measures_warmed_workers(tmp_path: Path) -> None:
    tracks = analysis_throughput.make_tracks(tmp_path, count=2, seconds=10.0)

    decode = analysis_throughput.measure("decode", analysis_throughput.decode_one, tracks, processes=1)

    assert decode.tracks == 2 and decode.failures == 0 and decode.seconds > 0
    assert len(decode.peak_rss_mb_by_process) == 1
