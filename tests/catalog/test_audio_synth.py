"""Synthesized audio for the analysis tests and evaluation: known content, every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from catalog.bench import synth


def test_a_song_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    spec = synth.SongSpec(tempo_bpm=100, key=0, mode=1, seconds=3)

    first = synth.song(spec, rng=np.random.default_rng(1))
    again = synth.song(spec, rng=np.random.default_rng(1))
    other = synth.song(spec, rng=np.random.default_rng(2))

    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.shape == (3 * synth.SAMPLE_RATE, 2) and first.dtype == np.float32


def test_a_song_peaks_at_half_scale_before_its_gain() -> None:
    spec = synth.SongSpec(tempo_bpm=90, key=5, mode=0, seconds=3, gain_db=-6.0, channels=1)

    samples = synth.song(spec, rng=np.random.default_rng(0))

    assert float(np.max(np.abs(samples))) == pytest.approx(0.5 * 10 ** (-6 / 20), rel=1e-3)


def test_chords_are_built_on_the_key_and_mode() -> None:
    assert synth.chord_notes(0, 0, "maj") == [60, 64, 67]  # C major: C4 E4 G4
    assert synth.chord_notes(9, 0, "min") == [57, 60, 64]  # A minor: A3 C4 E4
    assert synth.chord_notes(9, 7, "maj") == [64, 68, 71]  # its dominant, E major


def test_click_track_clicks_once_a_beat() -> None:
    track = synth.click_track(tempo_bpm=120, seconds=2.0)

    loud = np.flatnonzero(np.abs(track) > 0.1)
    onsets = loud[np.insert(np.diff(loud) > 1000, 0, True)]

    assert len(onsets) == 4
    assert np.allclose(np.diff(onsets), synth.SAMPLE_RATE / 2, atol=2)


@pytest.mark.parametrize("audio_format", synth.available_formats())
def test_write_audio_writes_every_available_format(tmp_path: Path, audio_format: str) -> None:
    samples = synth.stereo(synth.chord_progression(key=2, mode=1, seconds=2))

    path = synth.write_audio(tmp_path / f"chords.{audio_format}", samples, synth.SAMPLE_RATE, audio_format)

    assert path.stat().st_size > 1000
    if audio_format != "m4a":  # libsndfile cannot read AAC; the analysis uses ffmpeg for it
        info = soundfile.info(str(path))
        assert info.channels == 2
        assert info.duration == pytest.approx(2.0, abs=0.1)


def test_write_audio_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown audio format"):
        synth.write_audio(tmp_path / "x.wma", np.zeros(100, dtype=np.float32), synth.SAMPLE_RATE, "wma")


def test_broken_files_are_what_their_names_say(tmp_path: Path) -> None:
    source = synth.write_audio(
        tmp_path / "song.flac", synth.click_track(tempo_bpm=100, seconds=2), synth.SAMPLE_RATE, "flac"
    )

    broken = synth.broken_files(tmp_path, rng=np.random.default_rng(0), sources=[source])

    sizes = {path.name: path.stat().st_size for path in broken}
    assert sizes["empty.flac"] == 0
    assert sizes["truncated-song.flac"] == int(source.stat().st_size * 0.4)
    assert (tmp_path / "notes.mp3").read_text().startswith("This is a shopping list")
