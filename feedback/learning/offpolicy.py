"""Off-policy evaluation of the bandit's ranking policies from the logged versions (no Django).

Each logged decision is (context, chosen policy, its propensity, observed reward); a candidate
policy "always use P" is valued by reweighting the rewards of the decisions that chose P: IPS
= mean(1[a=P] · r / p); self-normalized IPS divides by the sum of the weights instead of n,
trading a little bias for much lower variance. The estimators are the monitoring panel's
(``feedback.learning.estimators``, which adds intervals and doubly robust); this module states the
bandit's log in their terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedback.learning import estimators as offpolicy


@dataclass(frozen=True)
class LoggedDecision:
    context: str  # the listener's pseudonym
    action: str
    propensity: float
    reward: float


@dataclass(frozen=True)
class Estimate:
    ips: float
    snips: float
    matched: int  # decisions where the candidate agrees with the log
    total: int
    effective_sample_size: float


def estimate(decisions: Sequence[LoggedDecision], policy: str) -> Estimate:
    """IPS and SNIPS of the candidate "always use ``policy``"."""
    if any(not 0 < decision.propensity <= 1 for decision in decisions):
        raise ValueError("propensities must be in (0, 1]")
    rounds = [offpolicy.LoggedRound(d.action, d.propensity, d.reward) for d in decisions]
    target = offpolicy.deterministic(policy)
    ips, snips = offpolicy.ips(rounds, target), offpolicy.snips(rounds, target)
    return Estimate(
        ips=ips.value,
        snips=snips.value,
        matched=sum(1 for decision in decisions if decision.action == policy),
        total=len(decisions),
        effective_sample_size=ips.effective_sample_size,
    )
