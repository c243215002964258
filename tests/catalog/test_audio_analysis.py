"""The audio analysis on synthesized audio whose tempo, key and loudness are known (no database)."""

from __future__ import annotations

import subprocess
import tracemalloc
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import APIC, ID3

from catalog.audio.analysis import AnalysisError, AudioAnalysis, analyse_file, warm_up
from catalog.audio.loudness import integrated_loudness
from catalog.bench import synth
from catalog.features import AUDIO_FEATURE_RANGES, AUDIO_FEATURES, SOUND_VECTOR_DIMENSIONS

RATE = synth.SAMPLE_RATE


@pytest.fixture(scope="module", autouse=True)
def warmed() -> None:
    warm_up()  # numba compiles once per process; cached on disk after the first run


def write(directory: Path, name: str, samples: np.ndarray, audio_format: str = "wav") -> Path:
    return synth.write_audio(directory / f"{name}.{audio_format}", samples, RATE, audio_format)


def song(tmp_path: Path, spec: synth.SongSpec, audio_format: str = "wav", *, seed: int = 1) -> Path:
    samples = synth.song(spec, rng=np.random.default_rng(seed))
    return write(tmp_path, f"song-{seed}", samples, audio_format)


def within(measured: float | None, truth: float, share: float) -> bool:
    return measured is not None and abs(measured - truth) <= share * truth


@pytest.mark.parametrize("tempo", [72.0, 128.0, 174.0])
def test_click_track_tempo_is_measured_within_two_percent(tmp_path: Path, tempo: float) -> None:
    path = write(tmp_path, "click", synth.click_track(tempo_bpm=tempo, seconds=15))

    assert within(analyse_file(path).tempo, tempo, 0.02)


@pytest.mark.parametrize(
    ("pattern", "tempo"), [("rock", 64.0), ("four_on_the_floor", 96.0), ("sixteenths", 150.0)]
)
def test_hi_hats_on_subdivisions_do_not_double_the_tempo(tmp_path: Path, pattern: str, tempo: float) -> None:
    drums = synth.drum_pattern(tempo_bpm=tempo, seconds=20, pattern=pattern, rng=np.random.default_rng(3))

    assert within(analyse_file(write(tmp_path, pattern, drums, "mp3")).tempo, tempo, 0.02)


@pytest.mark.parametrize(
    ("key", "mode", "progression", "timbre"),
    [
        (0, 1, "I-IV-V-I", "organ"),
        (9, 0, "i-iv-v-i", "saw"),
        (6, 0, "i-iv-V-i", "piano"),
        (3, 1, "I-vi-IV-V", "square"),
    ],
)
def test_key_and_mode_of_a_chord_progression(
    tmp_path: Path, key: int, mode: int, progression: str, timbre: str
) -> None:
    chords = synth.chord_progression(
        key=key, mode=mode, seconds=12, tempo_bpm=120, progression=progression, timbre=timbre
    )

    analysis = analyse_file(write(tmp_path, "chords", chords, "flac"))

    assert (analysis.key, analysis.mode) == (key, mode)


def test_loudness_matches_the_reference_and_the_quiet_version_is_quieter_by_its_gain(tmp_path: Path) -> None:
    spec = synth.SongSpec(tempo_bpm=110, key=2, mode=1, seconds=10)
    loud = synth.song(spec, rng=np.random.default_rng(5))
    quiet = synth.gain_db(loud, -12.0)
    reference = pyloudnorm.Meter(RATE).integrated_loudness(loud.astype(np.float64))

    loud_analysis = analyse_file(write(tmp_path, "loud", loud))
    quiet_analysis = analyse_file(write(tmp_path, "quiet", quiet))

    assert loud_analysis.loudness_lufs is not None and quiet_analysis.loudness_lufs is not None
    assert abs(loud_analysis.loudness_lufs - reference) < 0.2
    assert abs((loud_analysis.loudness_lufs - quiet_analysis.loudness_lufs) - 12.0) < 0.2
    assert quiet_analysis.energy is not None and loud_analysis.energy is not None
    assert quiet_analysis.energy < loud_analysis.energy


def test_loudness_uses_the_real_channel_layout(tmp_path: Path) -> None:
    """BS.1770 sums the channels' power: the same signal in both channels of a stereo file is
    3 dB louder than in a mono file."""
    mono = synth.chord_progression(key=0, mode=1, seconds=6)
    both = np.stack([mono, mono], axis=1)

    mono_lufs = analyse_file(write(tmp_path, "mono", mono)).loudness_lufs
    stereo_lufs = analyse_file(write(tmp_path, "stereo", both)).loudness_lufs

    assert mono_lufs is not None and stereo_lufs is not None
    assert abs((stereo_lufs - mono_lufs) - 3.01) < 0.1


@pytest.mark.parametrize("audio_format", synth.available_formats())
def test_every_format_decodes_and_keeps_its_loudness(tmp_path: Path, audio_format: str) -> None:
    samples = synth.song(
        synth.SongSpec(tempo_bpm=120, key=7, mode=1, seconds=8), rng=np.random.default_rng(2)
    )
    reference = pyloudnorm.Meter(RATE).integrated_loudness(samples.astype(np.float64))

    analysis = analyse_file(write(tmp_path, "song", samples, audio_format))

    assert abs(analysis.duration_ms - 8000) < 150  # encoders pad a frame or so
    assert analysis.channels == 2
    assert analysis.loudness_lufs is not None and abs(analysis.loudness_lufs - reference) < 1.0
    assert within(analysis.tempo, 120.0, 0.02)


def test_features_respect_the_catalog_ranges_and_unmeasured_ones_stay_empty(tmp_path: Path) -> None:
    analysis = analyse_file(song(tmp_path, synth.SongSpec(tempo_bpm=100, key=4, mode=0, seconds=12)))

    features = analysis.features()

    assert set(features) == set(AUDIO_FEATURES)
    for name in ("valence", "acousticness", "instrumentalness", "speechiness", "liveness"):
        assert features[name] is None
    for name in ("tempo", "key", "mode", "loudness", "energy", "danceability"):
        value = features[name]
        low, high = AUDIO_FEATURE_RANGES[name]
        assert value is not None and low <= value <= high, name
    assert analysis.dynamic_range is not None and analysis.dynamic_range >= 0


def test_silence_has_no_tempo_key_loudness_or_sound_vector(tmp_path: Path) -> None:
    analysis = analyse_file(write(tmp_path, "silence", np.zeros(RATE * 6, dtype=np.float32)))

    assert analysis.duration_ms == 6000
    assert analysis.tempo is None and analysis.key is None and analysis.mode is None
    assert analysis.loudness_lufs is None and analysis.loudness is None
    assert analysis.danceability is None and analysis.energy is None
    assert analysis.sound_vector is None


def test_drums_alone_have_no_key(tmp_path: Path) -> None:
    drums = synth.drum_pattern(tempo_bpm=100, seconds=10, pattern="rock", rng=np.random.default_rng(4))

    analysis = analyse_file(write(tmp_path, "drums", drums))

    assert analysis.key is None and analysis.mode is None


def test_a_very_short_file_is_analysed_without_inventing_a_tempo(tmp_path: Path) -> None:
    analysis = analyse_file(write(tmp_path, "blip", synth.chord_progression(key=0, mode=1, seconds=1.5)))

    assert analysis.tempo is None
    assert analysis.loudness_lufs is not None


def cosine(first: AudioAnalysis, second: AudioAnalysis) -> float:
    assert first.sound_vector is not None and second.sound_vector is not None
    return float(np.dot(first.sound_vector, second.sound_vector))


def test_sound_vector_is_unit_length_and_alike_for_two_renderings_of_one_song(tmp_path: Path) -> None:
    spec = synth.SongSpec(tempo_bpm=124, key=9, mode=0, seconds=12, pattern="four_on_the_floor", timbre="saw")
    other = synth.SongSpec(tempo_bpm=70, key=2, mode=1, seconds=12, pattern="rock", timbre="piano")

    first = analyse_file(song(tmp_path, spec, "wav", seed=1))
    again = analyse_file(song(tmp_path, spec, "mp3", seed=2))  # other drum noise, lossy
    different = analyse_file(song(tmp_path, other, "wav", seed=3))

    assert first.sound_vector is not None
    assert first.sound_vector.dtype == np.float32
    assert first.sound_vector.shape == (SOUND_VECTOR_DIMENSIONS,)
    assert abs(float(np.linalg.norm(first.sound_vector)) - 1.0) < 1e-5
    assert cosine(first, again) > 0.9
    assert cosine(first, again) > cosine(first, different) + 0.2


def test_a_long_file_is_analysed_from_a_bounded_excerpt_around_its_middle(tmp_path: Path) -> None:
    bar = synth.song(
        synth.SongSpec(tempo_bpm=120, key=0, mode=1, seconds=8, channels=1), rng=np.random.default_rng(6)
    )
    twenty_minutes = np.tile(bar, 150)
    path = write(tmp_path, "long", twenty_minutes, "flac")
    whole_file_bytes = twenty_minutes.size * 8  # what decoding it all as float64 would take
    del twenty_minutes, bar

    tracemalloc.start()
    try:
        analysis = analyse_file(path, excerpt_seconds=30.0)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert analysis.duration_ms == 1_200_000
    assert analysis.excerpt_seconds == pytest.approx(30.0, abs=0.01)
    assert analysis.excerpt_start_seconds == pytest.approx(585.0, abs=0.01)
    assert peak < whole_file_bytes / 4
    assert within(analysis.tempo, 120.0, 0.02)


def test_broken_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    song_path = song(tmp_path, synth.SongSpec(tempo_bpm=100, key=0, mode=1, seconds=10), "mp3")
    flac_path = song(tmp_path, synth.SongSpec(tempo_bpm=100, key=0, mode=1, seconds=10), "flac", seed=2)
    broken = synth.broken_files(tmp_path, rng=np.random.default_rng(0), sources=[song_path, flac_path])
    reasons = {}

    for path in broken:
        with pytest.raises(AnalysisError) as refused:
            analyse_file(path)
        reasons[path.name] = str(refused.value)

    assert reasons["notes.mp3"] == "not an audio file"
    assert reasons["empty.flac"] == "empty file (0 bytes)"
    assert reasons["random.mp3"] == "not an audio file"
    assert reasons["truncated-song-1.mp3"].startswith("truncated")
    assert reasons["truncated-song-2.flac"].startswith("truncated")


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="not a file"):
        analyse_file(tmp_path / "nowhere.mp3")


@pytest.mark.skipif(not synth.ffmpeg_available(), reason="needs ffmpeg to write an MP3 without a Xing header")
def test_cover_art_does_not_make_an_mp3_without_a_xing_header_look_truncated(tmp_path: Path) -> None:
    source = write(tmp_path, "source", synth.click_track(tempo_bpm=100, seconds=20))
    path = tmp_path / "old-rip.mp3"
    command = ["ffmpeg", "-v", "error", "-i", str(source), "-b:a", "128k", "-write_xing", "0", str(path)]
    subprocess.run(command, check=True, timeout=60)
    tags = ID3()
    tags.add(
        APIC(
            encoding=3, mime="image/jpeg", type=3, desc="cover", data=np.random.default_rng(0).bytes(300_000)
        )
    )
    tags.save(str(path))

    analysis = analyse_file(path)

    assert abs(analysis.duration_ms - 20_000) < 200
    assert within(analysis.tempo, 100.0, 0.02)


@pytest.mark.parametrize("sample_rate", [8000, 48000, 96000])
def test_any_sample_rate_gives_the_same_tempo_and_key(tmp_path: Path, sample_rate: int) -> None:
    spec = synth.SongSpec(tempo_bpm=120, key=4, mode=0, seconds=10, channels=1)
    samples = synth.song(spec, rng=np.random.default_rng(0), sample_rate=sample_rate)
    path = synth.write_audio(tmp_path / "song.flac", samples, sample_rate, "flac")

    analysis = analyse_file(path)

    assert analysis.sample_rate == sample_rate
    assert within(analysis.tempo, 120.0, 0.02)
    assert (analysis.key, analysis.mode) == (4, 0)


def test_integrated_loudness_agrees_with_pyloudnorm() -> None:
    rng = np.random.default_rng(8)
    rate = 48000
    ramp = np.linspace(0.001, 0.5, 12 * rate)[:, None]  # quiet start: the gates have work to do
    samples = (rng.standard_normal((12 * rate, 2)) * ramp).astype(np.float32)

    ours = integrated_loudness(samples, rate)
    reference = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))

    assert ours is not None and abs(ours - reference) < 0.01
