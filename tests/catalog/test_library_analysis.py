"""Storing audio analysis on media files and tracks (needs catalog.audio.analysis, no worker)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from catalog.media_analysis import ANALYSIS_INTERRUPTED, media_file_analyse, media_file_analysis_store
from catalog.models import LibraryScan, LibrarySource, MediaFile
from catalog.sources import library_scan_request, library_scan_run, library_source_add
from tests.catalog.factories import TrackFactory
from tests.catalog.library_files import sample_library, tag, write_audio

analysis_module = pytest.importorskip("catalog.audio.analysis")
AudioAnalysis = analysis_module.AudioAnalysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def music(tmp_path: Path) -> Path:
    return sample_library(tmp_path / "music")


def scan(source: LibrarySource) -> LibraryScan:
    finished = library_scan_run(
        scan_id=library_scan_request(source_id=source.pk, enqueue=False).pk, analyse=False
    )
    assert finished is not None
    return finished


def analysis(**overrides: object) -> AudioAnalysis:
    vector = np.zeros(64, dtype=np.float32)
    vector[3] = 1.0
    values: dict[str, object] = {
        "sample_rate": 44100,
        "channels": 2,
        "excerpt_start_seconds": 0.0,
        "excerpt_seconds": 2.0,
        "key_confidence": 0.8,
        "loudness": -9.5,
        "tempo": 128.0,
        "key": 9,
        "mode": 0,
        "loudness_lufs": -9.5,
        "dynamic_range": 6.0,
        "energy": 0.8,
        "danceability": None,
        "duration_ms": 2000,
        "sound_vector": vector,
    }
    values.update(overrides)
    return AudioAnalysis(**values)  # type: ignore[arg-type]


def test_analysis_sets_a_library_tracks_features_and_sound_vector(music: Path) -> None:
    source = library_source_add(root=str(music))
    scan(source)
    media_file = MediaFile.objects.get(source=source, path__endswith="Night Drive.mp3")

    media_file_analysis_store(media_file_id=media_file.pk, analysis=analysis())

    media_file.refresh_from_db()
    track = media_file.track
    assert media_file.analysed_at is not None
    assert (track.tempo, track.key, track.mode, track.energy) == (128.0, 9, 0, 0.8)
    assert track.danceability is None  # not estimated: stays unknown
    assert (track.loudness_lufs, track.dynamic_range, track.loudness) == (-9.5, 6.0, -9.5)
    assert track.sound_vector is not None and float(track.sound_vector[3]) == 1.0


def test_analysis_never_overwrites_a_catalog_files_features_only_fills_blanks(music: Path) -> None:
    existing = TrackFactory(source="spotify", isrc="GBABC1900002", tempo=97.0, energy=None, key=None)
    tag(write_audio(music / "x" / "song.wav"), title="Song", artists=["A"], isrc="GBABC1900002")
    source = library_source_add(root=str(music))
    scan(source)
    media_file = MediaFile.objects.get(source=source, path="x/song.wav")

    media_file_analysis_store(media_file_id=media_file.pk, analysis=analysis(tempo=300.5))

    existing.refresh_from_db()
    assert existing.tempo == 97.0
    assert (existing.energy, existing.key) == (0.8, 9)
    assert existing.loudness_lufs == -9.5


def test_a_file_that_cannot_be_analysed_records_the_reason_and_is_not_retried(music: Path) -> None:
    source = library_source_add(root=str(music))
    scan(source)
    media_file = MediaFile.objects.get(source=source, path__endswith="Morning Song.ogg")
    (music / media_file.path).write_bytes(b"OggS" + b"\0" * 64)  # damaged after the scan

    failed = media_file_analyse(media_file_id=media_file.pk)

    assert failed is not None and failed.analysis_error and failed.analysis_error != ANALYSIS_INTERRUPTED
    assert failed.analysed_at is None
    assert media_file_analyse(media_file_id=media_file.pk) is None  # claimed once, never again


def test_analysing_a_file_twice_analyses_it_once(music: Path) -> None:
    write_audio(music / "Long" / "Tone" / "01 - Eight Seconds.wav", seconds=8.0, seed=5)
    source = library_source_add(root=str(music))
    scan(source)
    media_file = MediaFile.objects.get(source=source, path__endswith="Eight Seconds.wav")

    first = media_file_analyse(media_file_id=media_file.pk)

    assert first is not None and first.analysed_at is not None and first.analysis_error == ""
    assert media_file_analyse(media_file_id=media_file.pk) is None
