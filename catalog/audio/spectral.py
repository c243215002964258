"""Spectral views of an excerpt and what is read from them: onset envelopes, tempo, chroma and key
(pure: no Django). The reasons for each constant are in ``catalog.audio.analysis``'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from catalog.features import AUDIO_FEATURE_RANGES

ANALYSIS_SAMPLE_RATE = 22050  # Nyquist 11 kHz holds everything tempo, key and timbre need.


N_FFT = 2048


ONSET_HOP = 256  # 11.6 ms frames: beat lags resolved to ~1 % before refinement


N_MELS = 128


N_MFCC = 13  # coefficients 1..13 (0 is overall level, which loudness already measures)


# Mel bands at or below this frequency make the "low and middle" onset envelope that decides the
# beat level: it keeps kick, snare body, bass and chord changes and leaves out cymbals and hats.
BEAT_BAND_MAX_HZ = 2500.0


ONSET_COMPRESSION = 100.0  # λ in log(1 + λ·magnitude) before the spectral flux


TEMPO_RANGE_BPM = (40.0, 240.0)  # where a beat level is searched for


# A faster periodicity is the beat when its autocorrelation is at least this share of the
# strongest one (a slower strong peak is then a bar or half-bar, not the beat).
BEAT_LEVEL_STRENGTH = 0.5


MIN_SECONDS_FOR_TEMPO = 5.0  # fewer than ~8 beats at 100 BPM: no honest tempo


MIN_SECONDS_FOR_KEY = 2.0


# Temperley's key profiles (Temperley 1999, "What's key for key? The Krumhansl-Schmuckler
# key-finding algorithm reconsidered", Music Perception 17(1)), tonic first.
MAJOR_PROFILE = np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0])


MINOR_PROFILE = np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])


CHROMA_LOWEST_NOTE = "C3"  # 131 Hz


CHROMA_OCTAVES = 5  # C3..B7, all below the 11 kHz Nyquist


CHROMA_HOP = 1024  # 46 ms: harmony changes far slower


SHAPE_FRAME_STEP = 4


# Below this correlation with the best key profile the chroma has no clear tonal centre (drums,
# noise, speech): key and mode stay unknown.
MIN_KEY_CORRELATION = 0.5


@dataclass(frozen=True)
class Spectra:
    """Everything computed from the mono 22.05 kHz excerpt that several features share."""

    magnitude: np.ndarray  # |STFT|, (bins, frames)
    mel_db: np.ndarray  # mel power in dB, (N_MELS, frames)
    onset_full: np.ndarray  # spectral flux over all mel bands, per frame
    onset_beat_band: np.ndarray  # spectral flux of the bands up to BEAT_BAND_MAX_HZ
    onset_high_band: np.ndarray  # spectral flux above BEAT_BAND_MAX_HZ
    chroma: np.ndarray  # constant-Q chroma of the harmonic part, (12, frames)
    frame_rate: float  # onset frames per second
    full_acf: np.ndarray  # autocorrelation of onset_full
    beat_band_acf: np.ndarray  # autocorrelation of onset_beat_band
    shape: SpectralShape


@dataclass(frozen=True)
class SpectralShape:
    """Per-frame spectral centroid, bandwidth and 85 % roll-off (Hz) and flatness (0..1)."""

    centroid: np.ndarray
    bandwidth: np.ndarray
    rolloff: np.ndarray
    flatness: np.ndarray


def spectral_shape(magnitude: np.ndarray) -> SpectralShape:
    """The classic timbre descriptors (as librosa defines them), on every SHAPE_FRAME_STEP-th
    frame: their means over a minute do not need 11 ms resolution, and this is 4x cheaper."""
    frames = magnitude[:, ::SHAPE_FRAME_STEP].astype(np.float64)
    frequencies = librosa.fft_frequencies(sr=ANALYSIS_SAMPLE_RATE, n_fft=N_FFT)[:, None]
    total = np.maximum(frames.sum(axis=0), 1e-12)
    centroid = (frequencies * frames).sum(axis=0) / total
    second_moment = (frequencies**2 * frames).sum(axis=0) / total
    bandwidth = np.sqrt(np.maximum(second_moment - centroid**2, 0.0))
    cumulative = np.cumsum(frames, axis=0)
    rolloff_bin = np.argmax(cumulative >= 0.85 * cumulative[-1], axis=0)
    power = np.maximum(frames**2, 1e-10)
    flatness = np.exp(np.mean(np.log(power), axis=0)) / np.mean(power, axis=0)
    return SpectralShape(centroid, bandwidth, frequencies[rolloff_bin, 0], flatness)


def spectra_of(mono: np.ndarray) -> Spectra:
    magnitude = np.abs(librosa.stft(mono, n_fft=N_FFT, hop_length=ONSET_HOP))
    mel_power = librosa.feature.melspectrogram(S=magnitude**2, sr=ANALYSIS_SAMPLE_RATE, n_mels=N_MELS)
    mel_db = librosa.power_to_db(mel_power, ref=np.max, top_db=80.0)
    # Spectral flux of log-compressed magnitude, log(1 + λ|X|) with |X| relative to the loudest
    # bin (Klapuri 1999; Böck & Widmer 2013). Unlike flux in dB it ignores the flicker of quiet
    # bands, e.g. a lossy codec's noise floor pumping with the hi-hats, which would otherwise
    # put the hats into the low bands and double the tempo. Split by band so the beat level can
    # be read from the low and middle bands alone.
    compressed = np.log1p(ONSET_COMPRESSION * np.sqrt(mel_power / max(float(mel_power.max()), 1e-20)))
    flux = np.maximum(0.0, np.diff(compressed, axis=1, prepend=compressed[:, :1]))
    band_hz = librosa.mel_frequencies(n_mels=N_MELS, fmax=ANALYSIS_SAMPLE_RATE / 2)
    low = band_hz <= BEAT_BAND_MAX_HZ
    chroma = harmonic_chroma(mono)
    onset_full, onset_beat_band = flux.mean(axis=0), flux[low].mean(axis=0)
    return Spectra(
        magnitude=magnitude,
        mel_db=mel_db,
        onset_full=onset_full,
        onset_beat_band=onset_beat_band,
        onset_high_band=flux[~low].mean(axis=0),
        chroma=chroma,
        frame_rate=ANALYSIS_SAMPLE_RATE / ONSET_HOP,
        full_acf=autocorrelation(onset_full),
        beat_band_acf=autocorrelation(onset_beat_band),
        shape=spectral_shape(magnitude),
    )


def harmonic_chroma(mono: np.ndarray) -> np.ndarray:
    """Chroma of the sustained (harmonic) part of the constant-Q spectrum: median-filter
    harmonic/percussive separation (Fitzgerald 2010) on the CQT leaves out drum hits, whose
    pitch-less energy (and a snare's tuned body) would otherwise pull the key."""
    bins_per_octave = 36
    constant_q = np.abs(
        librosa.cqt(
            mono,
            sr=ANALYSIS_SAMPLE_RATE,
            hop_length=CHROMA_HOP,
            fmin=librosa.note_to_hz(CHROMA_LOWEST_NOTE),
            n_bins=CHROMA_OCTAVES * bins_per_octave,
            bins_per_octave=bins_per_octave,
        )
    )
    # Kernels: 9 frames (0.4 s) along time keeps sustained notes, 9 bins (3 semitones) along
    # frequency keeps broadband hits.
    harmonic, _percussive = librosa.decompose.hpss(constant_q, kernel_size=(9, 9))
    return librosa.feature.chroma_cqt(
        C=harmonic,
        sr=ANALYSIS_SAMPLE_RATE,
        hop_length=CHROMA_HOP,
        fmin=librosa.note_to_hz(CHROMA_LOWEST_NOTE),
        bins_per_octave=bins_per_octave,
        n_octaves=CHROMA_OCTAVES,
    )


def autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Unbiased, normalized autocorrelation (1.0 at lag 0) of a mean-removed envelope."""
    centred = envelope - envelope.mean()
    raw = librosa.autocorrelate(centred)
    unbiased = raw / np.arange(len(centred), 0, -1)
    return unbiased / unbiased[0] if unbiased[0] > 0 else np.zeros_like(unbiased)


def _peak_lags(acf: np.ndarray, shortest: int, longest: int) -> np.ndarray:
    inner = np.arange(max(shortest, 1), min(longest, len(acf) - 2) + 1)
    is_peak = (acf[inner] > acf[inner - 1]) & (acf[inner] >= acf[inner + 1]) & (acf[inner] > 0)
    return inner[is_peak]


def beat_period(beat_band_acf: np.ndarray, frame_rate: float) -> float | None:
    """The beat period in frames: the fastest strong periodicity that divides the strongest."""
    shortest = int(frame_rate * 60.0 / TEMPO_RANGE_BPM[1])
    longest = int(np.ceil(frame_rate * 60.0 / TEMPO_RANGE_BPM[0]))
    peaks = _peak_lags(beat_band_acf, shortest, longest)
    if len(peaks) == 0:
        return None
    strongest = int(peaks[np.argmax(beat_band_acf[peaks])])
    threshold = BEAT_LEVEL_STRENGTH * beat_band_acf[strongest]
    for lag in peaks:  # fastest first
        ratio = strongest / lag
        divides = abs(ratio - round(ratio)) < 0.04 * ratio
        if beat_band_acf[lag] >= threshold and divides:
            return float(lag)
    return float(strongest)


def _parabolic_peak(acf: np.ndarray, lag: int) -> float:
    """Sub-frame position of the peak at ``lag`` (parabola through three points)."""
    if lag <= 0 or lag >= len(acf) - 1:
        return float(lag)
    left, centre, right = acf[lag - 1], acf[lag], acf[lag + 1]
    denominator = left - 2 * centre + right
    return float(lag) if denominator >= 0 else float(lag + 0.5 * (left - right) / denominator)


def refine_period(acf: np.ndarray, period: float) -> float:
    """Measure the period on the peak near 16, 8, 4 or 2 beats (the longest the excerpt allows):
    a one-frame error there is a 16th, 8th… of a frame per beat."""
    for multiple in (16, 8, 4, 2, 1):
        expected = multiple * period
        if expected > len(acf) / 2:
            continue
        low = int(np.floor(expected * 0.97)) - 1
        high = int(np.ceil(expected * 1.03)) + 1
        lag = low + int(np.argmax(acf[low : high + 1]))
        return _parabolic_peak(acf, lag) / multiple
    return period


def estimate_tempo(spectra: Spectra) -> tuple[float | None, float]:
    """(BPM or None, pulse clarity 0..1: the full-band autocorrelation at the beat period)."""
    beat_band_acf = spectra.beat_band_acf
    period = beat_period(beat_band_acf, spectra.frame_rate)
    if period is None:
        return None, 0.0
    period = refine_period(beat_band_acf, period)
    tempo = 60.0 * spectra.frame_rate / period
    clarity = float(np.clip(spectra.full_acf[int(round(period))], 0.0, 1.0))
    return float(np.clip(tempo, *AUDIO_FEATURE_RANGES["tempo"])), clarity


def key_scores(profile: np.ndarray) -> np.ndarray:
    """Correlation of a 12-bin pitch-class profile with each key: (2, 12), [mode][tonic] with
    mode 0 minor, 1 major."""
    scores = np.zeros((2, 12))
    for mode, template in ((1, MAJOR_PROFILE), (0, MINOR_PROFILE)):
        for tonic in range(12):
            scores[mode, tonic] = np.corrcoef(profile, np.roll(template, tonic))[0, 1]
    return np.nan_to_num(scores, nan=-1.0)


def estimate_key(chroma: np.ndarray) -> tuple[int | None, int | None, float | None, np.ndarray]:
    """(key, mode, correlation, pitch-class profile) from chroma; key/mode None when unclear."""
    profile = chroma.sum(axis=1)
    if profile.sum() <= 0 or np.ptp(profile) <= 1e-9 * profile.sum():
        return None, None, None, np.full(12, 1 / 12)
    profile = profile / profile.sum()
    scores = key_scores(profile)
    mode, tonic = np.unravel_index(int(np.argmax(scores)), scores.shape)
    best = float(scores[mode, tonic])
    if best < MIN_KEY_CORRELATION:
        return None, None, best, profile
    return int(tonic), int(mode), best, profile
