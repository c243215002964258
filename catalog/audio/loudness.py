"""Loudness (pure: no Django): integrated loudness by ITU-R BS.1770-4 and loudness range (EBU Tech
3342), on pyloudnorm's K-weighting filters.
"""

from __future__ import annotations

import numpy as np
from pyloudnorm.iirfilter import IIRfilter  # type: ignore[import-untyped]

SHORT_TERM_SECONDS = 3.0  # EBU Tech 3342 short-term loudness window


SHORT_TERM_HOP_SECONDS = 0.1  # "at least 10 Hz" in Tech 3342


def k_weighted_power(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-sample power of the K-weighted signal (BS.1770: pyloudnorm's high shelf then high
    pass), summed over channels with the BS.1770 gains (1.41 for the 4th and 5th, surround)."""
    shelf = IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf")
    high_pass = IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass")
    channel_gains = (1.0, 1.0, 1.0, 1.41, 1.41)
    power = np.zeros(len(samples), dtype=np.float64)
    for channel in range(min(samples.shape[1], len(channel_gains))):
        weighted = high_pass.apply_filter(shelf.apply_filter(samples[:, channel].astype(np.float64)))
        power += channel_gains[channel] * weighted**2
    return power


def _window_means(power: np.ndarray, window: int, hop: int) -> np.ndarray:
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, len(power) - window + 1, hop)
    return (cumulative[starts + window] - cumulative[starts]) / window


def _loudness(mean_square: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.asarray(-0.691 + 10 * np.log10(mean_square))


def integrated_loudness_of_power(power: np.ndarray, sample_rate: int) -> float | None:
    """BS.1770-4 gated integrated loudness (LUFS): 400 ms blocks overlapping by 75 %, absolute
    gate -70 LUFS, relative gate 10 LU below the absolutely gated mean. pyloudnorm's
    ``Meter.integrated_loudness`` computed once per block, vectorized, so the K-weighting is shared
    with the loudness range; it agrees with pyloudnorm to 0.001 LU except that only whole blocks
    count (pyloudnorm may add a last partial one). None under one block or when all is gated out."""
    block = int(0.4 * sample_rate)
    if len(power) < block:
        return None
    blocks = _window_means(power, block, int(0.1 * sample_rate))
    block_loudness = _loudness(blocks)
    above_absolute = blocks[block_loudness >= -70.0]
    if len(above_absolute) == 0:
        return None
    relative_gate = float(_loudness(above_absolute.mean())) - 10.0
    gated = blocks[(block_loudness > relative_gate) & (block_loudness >= -70.0)]
    return float(_loudness(gated.mean())) if len(gated) else None


def loudness_range_of_power(power: np.ndarray, sample_rate: int) -> float | None:
    """EBU Tech 3342 loudness range (LU): spread between the 10th and 95th percentiles of the 3 s
    short-term loudness (every 0.1 s), after a -70 LUFS absolute and a -20 LU relative gate.
    None under one 3 s window or when everything is gated out."""
    window = int(SHORT_TERM_SECONDS * sample_rate)
    if len(power) < window:
        return None
    short_term = _loudness(_window_means(power, window, int(SHORT_TERM_HOP_SECONDS * sample_rate)))
    above_absolute = short_term[short_term > -70.0]
    if len(above_absolute) == 0:
        return None
    relative_gate = float(_loudness(float(np.mean(10 ** ((above_absolute + 0.691) / 10))))) - 20.0
    gated = above_absolute[above_absolute > relative_gate]
    low, high = np.percentile(gated, [10, 95])
    return float(high - low)


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness (LUFS) of (samples, channels) at their own rate and layout."""
    return integrated_loudness_of_power(k_weighted_power(samples, sample_rate), sample_rate)
