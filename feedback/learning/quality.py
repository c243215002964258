"""The model-quality gate: promote a retrained model only if it is not worse (no Django).

The CF trainer evaluates the current and the candidate model on the same most recent held-out
events (``recall_at_k`` / ``ndcg_at_k`` below) and asks ``promotion_decide``; a refusal keeps
the current model serving.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelMetrics:
    recall_at_k: float
    ndcg_at_k: float
    users: int  # held-out users the metrics were averaged over


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def promotion_decide(
    *, current: ModelMetrics | None, candidate: ModelMetrics, min_users: int = 20, tolerance: float = 0.0
) -> PromotionDecision:
    """Refuse a candidate evaluated on too few users, or worse than the current model on either
    metric by more than ``tolerance`` (absolute); promote otherwise."""
    if candidate.users < min_users:
        return PromotionDecision(False, f"evaluated on {candidate.users} users, fewer than {min_users}")
    if any(math.isnan(value) for value in (candidate.recall_at_k, candidate.ndcg_at_k)):
        return PromotionDecision(False, "the candidate has no held-out metrics")
    if current is None:
        return PromotionDecision(True, "no current model")
    for name in ("recall_at_k", "ndcg_at_k"):
        before, after = getattr(current, name), getattr(candidate, name)
        if after < before - tolerance:
            return PromotionDecision(False, f"{name} fell from {before:.4f} to {after:.4f}")
    return PromotionDecision(
        True,
        f"recall@k {current.recall_at_k:.4f} → {candidate.recall_at_k:.4f}, "
        f"NDCG@k {current.ndcg_at_k:.4f} → {candidate.ndcg_at_k:.4f}",
    )
