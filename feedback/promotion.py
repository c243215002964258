"""Who decides whether a retrained model replaces the current one (the model-quality gate).

``cf_train`` asks ``promotion_gate_decide``. The experiments app, above feedback in the layers,
registers its service at start-up: it decides by the same rule and records every decision for
the monitoring panel. Without it, the pure rule (``feedback.learning.quality``) decides alone.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

from feedback.learning.quality import ModelMetrics, promotion_decide


class PromotionGate(Protocol):
    def __call__(
        self,
        *,
        model_name: str,
        candidate_version: str,
        current: ModelMetrics | None,
        candidate: ModelMetrics,
    ) -> bool: ...


_gate: PromotionGate | None = None


def promotion_gate_register(gate: PromotionGate) -> None:
    global _gate
    _gate = gate


def promotion_gate_decide(
    *, model_name: str, candidate_version: str, current: ModelMetrics | None, candidate: ModelMetrics
) -> bool:
    """True: the candidate may replace the current model."""
    if _gate is not None:
        return _gate(
            model_name=model_name, candidate_version=candidate_version, current=current, candidate=candidate
        )
    return promotion_decide(
        current=current,
        candidate=candidate,
        min_users=settings.MODEL_PROMOTION_MIN_USERS,
        tolerance=settings.MODEL_PROMOTION_TOLERANCE,
    ).promote
