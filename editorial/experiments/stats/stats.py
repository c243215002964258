"""Confidence intervals, a fixed-horizon two-sample test and a plain verdict (no Django).

The unit of analysis is one generated playlist version: its skip rate, completion rate,
likes… are one observation each. Tracks within a playlist are not independent (one listener,
one mood), so treating every track as a trial would make the intervals far too narrow.

Peeking guard: an experiment states its horizon (playlists per variant) before it starts; the
verdict stays "collecting" until every variant reaches it, and is then read once at the stated
confidence. Looking at the interim intervals is allowed; acting on them is what the horizon
forbids, and the page says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# One definition of the critical value, beside the off-policy estimators that need it too.
from feedback.learning.estimators import z_value

_STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int


def mean_interval(values: Sequence[float] | np.ndarray, *, confidence: float = 0.95) -> Interval:
    """Normal-approximation interval of a mean (the CLT holds at the sample sizes we test at)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = int(data.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    half = z_value(confidence) * float(data.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


@dataclass(frozen=True)
class Comparison:
    """Treatment minus control, its interval and the two-sided p-value (Welch, normal)."""

    difference: float
    low: float
    high: float
    p_value: float
    n_control: int
    n_treatment: int


def compare_means(
    control: Sequence[float] | np.ndarray,
    treatment: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
) -> Comparison:
    a = np.asarray(control, dtype=float)
    b = np.asarray(treatment, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return Comparison(math.nan, math.nan, math.nan, math.nan, int(a.size), int(b.size))
    difference = float(b.mean() - a.mean())
    standard_error = math.sqrt(float(a.var(ddof=1)) / a.size + float(b.var(ddof=1)) / b.size)
    if standard_error == 0:
        p_value = 1.0 if difference == 0 else 0.0
        return Comparison(difference, difference, difference, p_value, int(a.size), int(b.size))
    half = z_value(confidence) * standard_error
    p_value = 2 * (1 - _STANDARD_NORMAL.cdf(abs(difference) / standard_error))
    return Comparison(difference, difference - half, difference + half, p_value, int(a.size), int(b.size))


def sample_size_per_variant(
    *, std: float, minimum_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Playlists per variant to detect an absolute change ``minimum_effect`` in a per-playlist
    metric with standard deviation ``std`` (two-sided ``alpha``, given ``power``): the horizon to
    state up front. For a plain proportion, ``std`` is sqrt(p(1 - p))."""
    if minimum_effect <= 0 or std <= 0:
        raise ValueError("std and minimum_effect must be positive.")
    z_alpha = _STANDARD_NORMAL.inv_cdf(1 - alpha / 2)
    z_power = _STANDARD_NORMAL.inv_cdf(power)
    return math.ceil(2 * (z_alpha + z_power) ** 2 * std**2 / minimum_effect**2)


class VerdictKind:
    COLLECTING = "collecting"
    NO_DIFFERENCE = "no_difference"
    BETTER = "better"
    WORSE = "worse"


@dataclass(frozen=True)
class Verdict:
    kind: str
    text: str


def verdict(
    comparison: Comparison,
    *,
    horizon: int,
    higher_is_better: bool,
    confidence: float = 0.95,
    treatment: str = "B",
) -> Verdict:
    """A plain verdict read at the fixed horizon; before it, "collecting" whatever the numbers say."""
    smallest = min(comparison.n_control, comparison.n_treatment)
    if smallest < max(horizon, 2):
        return Verdict(
            VerdictKind.COLLECTING,
            f"No verdict yet: {smallest} of {horizon} playlists in the smallest variant. "
            "The horizon was fixed up front, so interim numbers are not a result.",
        )
    alpha = 1 - confidence
    level = f"{confidence:.0%}"
    if math.isnan(comparison.p_value) or comparison.p_value >= alpha:
        return Verdict(
            VerdictKind.NO_DIFFERENCE,
            f"No difference detected at {level} confidence (p = {comparison.p_value:.3f}).",
        )
    improved = (comparison.difference > 0) == higher_is_better
    kind = VerdictKind.BETTER if improved else VerdictKind.WORSE
    word = "better" if improved else "worse"
    return Verdict(kind, f"{treatment} is {word} at {level} confidence (p = {comparison.p_value:.3f}).")
