"""The sound vector (pure: no Django): timbre, harmony (key-relative) and rhythm statistics, each
standardized by the constants in ``SOUND_VECTOR_LAYOUT`` and weighted so every group counts equally
in a cosine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import librosa
import numpy as np

from catalog.audio.spectral import (
    ANALYSIS_SAMPLE_RATE,
    CHROMA_HOP,
    MAJOR_PROFILE,
    MINOR_PROFILE,
    N_MFCC,
    ONSET_HOP,
    Spectra,
    key_scores,
)
from catalog.features import SOUND_VECTOR_DIMENSIONS


@dataclass(frozen=True)
class FeatureGroup:
    """Standardization of one group of the sound vector: z = (x - centre) / scale, clipped to
    ±Z_CLIP, then the group is divided by sqrt(len) so each group weighs the same in a cosine."""

    name: str
    centres: np.ndarray
    scales: np.ndarray


Z_CLIP = 4.0


# Centres and scales are rough typical values of each statistic for music at 22.05 kHz with
# librosa's defaults (MFCCs of dB mel power; magnitudes fall with the coefficient's index), set
# by hand, not fitted to a corpus. They need not be exact: they put "ordinary" near the origin so
# the cosine compares what differs. Refitting them on a real library's statistics would sharpen
# "more like this" (changing them changes every vector: re-analyse).
_MFCC_MEAN_CENTRES = np.array([100.0] + [0.0] * (N_MFCC - 1))


_MFCC_MEAN_SCALES = np.array([40.0, 25.0, 20.0, 15.0] + [10.0] * (N_MFCC - 4))


_MFCC_STD_CENTRES = np.array([25.0, 15.0, 12.0, 10.0] + [8.0] * (N_MFCC - 4))


_MFCC_STD_SCALES = np.array([12.0, 8.0, 6.0, 5.0] + [4.0] * (N_MFCC - 4))


TIMBRE = FeatureGroup(
    "timbre",
    # MFCC 1..13 means, MFCC 1..13 stds, log2 centroid (Hz), centroid variation, log2 bandwidth,
    # log2 roll-off (85 %), log10 flatness, low-energy frame share
    centres=np.concatenate([_MFCC_MEAN_CENTRES, _MFCC_STD_CENTRES, [11.0, 0.5, 11.0, 12.0, -3.0, 0.55]]),
    scales=np.concatenate([_MFCC_MEAN_SCALES, _MFCC_STD_SCALES, [1.0, 0.3, 0.7, 1.0, 1.0, 0.15]]),
)


_TYPICAL_KEY_RELATIVE_PROFILE = (
    MAJOR_PROFILE / MAJOR_PROFILE.sum() + MINOR_PROFILE / MINOR_PROFILE.sum()
) / 2


HARMONY = FeatureGroup(
    "harmony",
    # key-relative chroma profile (12, tonic first), key correlation, major-minor margin,
    # profile entropy (bits), harmonic change (mean cosine distance between chroma frames 0.5 s apart)
    # (the profile's centre is the mean of the two key profiles: tonal music sits near it)
    centres=np.concatenate([_TYPICAL_KEY_RELATIVE_PROFILE, [0.6, 0.0, 3.4, 0.15]]),
    scales=np.concatenate([np.full(12, 0.03), [0.2, 0.1, 0.15, 0.1]]),
)


RHYTHM = FeatureGroup(
    "rhythm",
    # log2(tempo/120), pulse clarity, beat-band clarity, full-band autocorrelation at 1/4, 1/2,
    # 3/2, 2, 3 and 4 beats, log2 onset rate (/s), onset strength mean (log-compressed flux),
    # onset strength variation,
    # high-band share of flux, RMS variation (std of dB), tempo known (1/0)
    centres=np.array([0.0, 0.3, 0.3, 0.1, 0.2, 0.1, 0.3, 0.2, 0.3, 2.0, 0.03, 1.5, 0.4, 6.0, 1.0]),
    scales=np.array([0.5, 0.2, 0.2, 0.15, 0.2, 0.15, 0.2, 0.2, 0.2, 1.0, 0.02, 0.5, 0.2, 3.0, 0.5]),
)


SOUND_VECTOR_LAYOUT = (TIMBRE, HARMONY, RHYTHM)


_LAYOUT_DIMENSIONS = sum(len(group.centres) for group in SOUND_VECTOR_LAYOUT)


# The layout fills the first dimensions; the rest stay 0 (room to add statistics without a
# migration; zeros change no cosine).
assert _LAYOUT_DIMENSIONS <= SOUND_VECTOR_DIMENSIONS


def timbre_statistics(spectra: Spectra, rms_db: np.ndarray) -> np.ndarray:
    mfcc = librosa.feature.mfcc(S=spectra.mel_db, n_mfcc=N_MFCC + 1)[1:]
    shape = spectra.shape
    centroid, bandwidth, rolloff, flatness = shape.centroid, shape.bandwidth, shape.rolloff, shape.flatness
    low_energy_share = float(np.mean(rms_db < rms_db.mean()))
    return np.concatenate(
        [
            mfcc.mean(axis=1),
            mfcc.std(axis=1),
            [
                math.log2(max(float(centroid.mean()), 1.0)),
                float(centroid.std() / max(centroid.mean(), 1.0)),
                math.log2(max(float(bandwidth.mean()), 1.0)),
                math.log2(max(float(rolloff.mean()), 1.0)),
                math.log10(max(float(flatness.mean()), 1e-10)),
                low_energy_share,
            ],
        ]
    )


def harmony_statistics(chroma: np.ndarray, profile: np.ndarray, tonic: int | None) -> np.ndarray:
    relative = np.roll(profile, -(tonic or 0))
    scores = key_scores(profile)
    best = float(scores.max())
    margin = float(scores[1].max() - scores[0].max())
    entropy = float(-(profile * np.log2(np.maximum(profile, 1e-12))).sum())
    frames_half_second = max(int(0.5 * ANALYSIS_SAMPLE_RATE / CHROMA_HOP), 1)
    if chroma.shape[1] > frames_half_second:
        earlier, later = chroma[:, :-frames_half_second], chroma[:, frames_half_second:]
        norms = np.linalg.norm(earlier, axis=0) * np.linalg.norm(later, axis=0)
        cosine = (earlier * later).sum(axis=0) / np.maximum(norms, 1e-12)
        change = float(np.mean(1.0 - cosine))
    else:
        change = 0.0
    return np.concatenate([relative, [best, margin, entropy, change]])


def rhythm_statistics(
    spectra: Spectra, tempo: float | None, pulse_clarity: float, rms_db: np.ndarray, onset_rate: float
) -> np.ndarray:
    full_acf, beat_band_acf = spectra.full_acf, spectra.beat_band_acf

    def at_beats(acf: np.ndarray, beats: float) -> float:
        if tempo is None:
            return 0.0
        lag = int(round(beats * 60.0 / tempo * spectra.frame_rate))
        return float(acf[lag]) if 0 < lag < len(acf) else 0.0

    flux_total = spectra.onset_full.sum()
    high_share = float(spectra.onset_high_band.sum() / flux_total) if flux_total > 0 else 0.0
    return np.array(
        [
            math.log2(tempo / 120.0) if tempo else 0.0,
            pulse_clarity,
            at_beats(beat_band_acf, 1),
            *(at_beats(full_acf, beats) for beats in (0.25, 0.5, 1.5, 2, 3, 4)),
            math.log2(max(onset_rate, 0.25)),
            float(spectra.onset_full.mean()),
            float(spectra.onset_full.std() / max(spectra.onset_full.mean(), 1e-9)),
            high_share,
            float(rms_db.std()),
            1.0 if tempo else 0.0,
        ]
    )


def standardized(values: np.ndarray, group: FeatureGroup) -> np.ndarray:
    z = np.clip((values - group.centres) / group.scales, -Z_CLIP, Z_CLIP)
    return z / math.sqrt(len(z))


def sound_vector(timbre: np.ndarray, harmony: np.ndarray, rhythm: np.ndarray) -> np.ndarray:
    """The 64-dim unit vector: standardized groups side by side, zero-padded."""
    parts = [
        standardized(values, group)
        for values, group in zip((timbre, harmony, rhythm), SOUND_VECTOR_LAYOUT, strict=True)
    ]
    vector = np.zeros(SOUND_VECTOR_DIMENSIONS, dtype=np.float64)
    joined = np.concatenate(parts)
    vector[: len(joined)] = joined
    norm = np.linalg.norm(vector)
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def onset_rate_of(spectra: Spectra) -> float:
    """Detected onsets per second (librosa's peak picker on the full-band flux)."""
    envelope = spectra.onset_full
    if envelope.max() <= 0:
        return 0.0
    onsets = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=ANALYSIS_SAMPLE_RATE, hop_length=ONSET_HOP, units="frames"
    )
    return len(onsets) / (len(envelope) / spectra.frame_rate)
