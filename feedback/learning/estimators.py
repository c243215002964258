"""Off-policy value estimates from logged propensities: IPS, self-normalized IPS and doubly
robust (no Django).

Each logged round is one generated playlist: the action (the policy name that built it), the
probability the logging policy gave that action, and the observed reward (e.g. completion
rate). A candidate ("target") policy gives each action a probability; its value is estimated
without exposing anyone to it. Rounds without a logged propensity cannot be reweighted and are
left out by the caller.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_STANDARD_NORMAL = NormalDist()


def z_value(confidence: float) -> float:
    """Two-sided critical value: 1.96 for 0.95."""
    if not 0.5 < confidence < 1.0:
        raise ValueError("confidence must be between 0.5 and 1.")
    return _STANDARD_NORMAL.inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class LoggedRound:
    action: str
    propensity: float
    reward: float


@dataclass(frozen=True)
class Estimate:
    method: str
    value: float
    low: float
    high: float
    n: int
    effective_sample_size: float


TargetPolicy = Callable[[str], float]


def _weights(rounds: Sequence[LoggedRound], target: TargetPolicy) -> np.ndarray:
    return np.array([target(r.action) / r.propensity for r in rounds], dtype=float)


def _interval(method: str, contributions: np.ndarray, weights: np.ndarray, confidence: float) -> Estimate:
    n = int(contributions.size)
    if n == 0:
        return Estimate(method, math.nan, math.nan, math.nan, 0, 0.0)
    value = float(contributions.mean())
    half = z_value(confidence) * float(contributions.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    ess = float(weights.sum() ** 2 / (weights**2).sum()) if (weights**2).sum() > 0 else 0.0
    return Estimate(method, value, value - half, value + half, n, ess)


def ips(rounds: Sequence[LoggedRound], target: TargetPolicy, *, confidence: float = 0.95) -> Estimate:
    """Inverse propensity scoring: unbiased when propensities are right and never zero."""
    weights = _weights(rounds, target)
    rewards = np.array([r.reward for r in rounds], dtype=float)
    return _interval("IPS", weights * rewards, weights, confidence)


def snips(rounds: Sequence[LoggedRound], target: TargetPolicy, *, confidence: float = 0.95) -> Estimate:
    """Self-normalized IPS: divides by the sum of weights; a little bias, much less variance."""
    weights = _weights(rounds, target)
    rewards = np.array([r.reward for r in rounds], dtype=float)
    if weights.size == 0 or weights.sum() == 0:
        return Estimate("SNIPS", math.nan, math.nan, math.nan, int(weights.size), 0.0)
    mean_weight = weights.mean()
    value = float((weights * rewards).sum() / weights.sum())
    # Delta-method contributions around the ratio estimate.
    contributions = value + weights * (rewards - value) / mean_weight
    return _interval("SNIPS", contributions, weights, confidence)


def reward_model_fit(rounds: Sequence[LoggedRound]) -> dict[str, float]:
    """The simplest reward model: the mean observed reward of each action."""
    totals: dict[str, list[float]] = defaultdict(list)
    for r in rounds:
        totals[r.action].append(r.reward)
    return {action: float(np.mean(values)) for action, values in totals.items()}


def doubly_robust(
    rounds: Sequence[LoggedRound],
    target: TargetPolicy,
    reward_model: Mapping[str, float],
    actions: Sequence[str],
    *,
    confidence: float = 0.95,
) -> Estimate:
    """Doubly robust: the reward model's prediction for the target, corrected by IPS on its error.
    Right when either the propensities or the reward model are."""
    weights = _weights(rounds, target)
    baseline = sum(target(action) * reward_model.get(action, 0.0) for action in actions)
    corrections = np.array([r.reward - reward_model.get(r.action, 0.0) for r in rounds], dtype=float)
    return _interval("DR", baseline + weights * corrections, weights, confidence)


def deterministic(action: str) -> TargetPolicy:
    """The candidate that always picks ``action``."""
    return lambda logged: 1.0 if logged == action else 0.0
