"""Off-policy evaluation from logged versions: IPS and self-normalized IPS (no Django imports).

Each logged decision is (context, chosen policy, its propensity, observed reward). A target
policy π is evaluated by reweighting the rewards of the decisions where π would have chosen
the same action: IPS = mean(1[π=a] · r / p); SNIPS divides by the sum of the weights instead of
n, trading a little bias for much lower variance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LoggedDecision:
    context: str  # e.g. the listener's pseudonym; the target policy may depend on it
    action: str
    propensity: float
    reward: float


@dataclass(frozen=True)
class Estimate:
    ips: float
    snips: float
    matched: int  # decisions where the target agrees with the log
    total: int
    effective_sample_size: float


def estimate(decisions: Sequence[LoggedDecision], target: Callable[[str], str]) -> Estimate:
    """IPS and SNIPS of a deterministic target policy (context -> action)."""
    if not decisions:
        return Estimate(ips=float("nan"), snips=float("nan"), matched=0, total=0, effective_sample_size=0.0)
    propensities = np.array([decision.propensity for decision in decisions], dtype=float)
    if np.any(propensities <= 0) or np.any(propensities > 1):
        raise ValueError("propensities must be in (0, 1]")
    rewards = np.array([decision.reward for decision in decisions], dtype=float)
    agree = np.array([target(decision.context) == decision.action for decision in decisions], dtype=float)
    weights = agree / propensities
    weight_sum = float(weights.sum())
    ips = float(np.mean(weights * rewards))
    snips = float((weights * rewards).sum() / weight_sum) if weight_sum > 0 else float("nan")
    ess = weight_sum**2 / float((weights**2).sum()) if weight_sum > 0 else 0.0
    return Estimate(
        ips=ips, snips=snips, matched=int(agree.sum()), total=len(decisions), effective_sample_size=ess
    )
