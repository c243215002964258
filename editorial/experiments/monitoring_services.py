"""Writes of monitoring: the runs of scheduled tasks (recorded by Celery signals), drift reports,
and the model-quality gate's decisions, which the CF trainer asks for through ``feedback.promotion``."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.embeddings import encode_documents
from config.metrics import metrics_count_drift_alert
from editorial.experiments import monitoring_selectors
from editorial.experiments.models import (
    DriftReport,
    ModelPromotion,
    TaskOutcome,
    TaskRun,
)
from editorial.experiments.stats import drift
from feedback import promotion
from feedback.learning.quality import ModelMetrics, promotion_decide

logger = logging.getLogger(__name__)

Encoder = Callable[[Sequence[str]], np.ndarray]


# --- task runs (Celery signals) ------------------------------------------------------------


def task_run_start(*, task: str, task_id: str, request_id: str = "", now: datetime | None = None) -> None:
    TaskRun.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task": task,
            "started_at": now or timezone.now(),
            "outcome": TaskOutcome.RUNNING,
            "request_id": request_id[:64],
        },
    )


def task_run_finish(*, task_id: str, outcome: str, error: str = "", now: datetime | None = None) -> None:
    """Close a run; a failure recorded by task_failure is not overwritten by the postrun signal."""
    run = TaskRun.objects.filter(task_id=task_id).first()
    if run is None or (run.outcome == TaskOutcome.FAILURE and outcome != TaskOutcome.FAILURE):
        return
    finished = now or timezone.now()
    run.outcome = outcome
    run.finished_at = finished
    run.duration_seconds = (finished - run.started_at).total_seconds()
    run.error = error[:2000]
    run.save(update_fields=["outcome", "finished_at", "duration_seconds", "error"])


# --- drift --------------------------------------------------------------------------------


def drift_thresholds() -> drift.DriftThresholds:
    return drift.DriftThresholds(
        psi=settings.DRIFT_PSI_THRESHOLD,
        embedding_shift=settings.DRIFT_EMBEDDING_SHIFT_THRESHOLD,
        mmd=settings.DRIFT_MMD_THRESHOLD,
        rate_increase=settings.DRIFT_RATE_THRESHOLD,
        min_samples=settings.DRIFT_MIN_SAMPLES,
    )


def drift_report_create(*, now: datetime | None = None, encoder: Encoder | None = None) -> DriftReport:
    """Compare the recent window with the reference window before it; store, log and count alerts."""
    now = now or timezone.now()
    recent_start = now - timedelta(days=settings.DRIFT_RECENT_DAYS)
    reference_start = recent_start - timedelta(days=settings.DRIFT_REFERENCE_DAYS)
    thresholds = drift_thresholds()
    checks: list[drift.DriftCheck] = []

    reference_prompts = monitoring_selectors.prompts_between(
        reference_start, recent_start, limit=settings.DRIFT_MAX_PROMPTS
    )
    recent_prompts = monitoring_selectors.prompts_between(recent_start, now, limit=settings.DRIFT_MAX_PROMPTS)
    if min(len(reference_prompts), len(recent_prompts)) >= thresholds.min_samples:
        encode: Encoder = encoder or encode_documents
        checks += drift.embedding_checks(
            encode(reference_prompts), encode(recent_prompts), recent_prompts, thresholds=thresholds
        )
    else:
        checks += drift.embedding_checks(
            np.zeros((len(reference_prompts), 1)),
            np.zeros((len(recent_prompts), 1)),
            [],
            thresholds=thresholds,
        )

    for feature, (reference, recent) in monitoring_selectors.catalog_features_between(
        reference_start, recent_start, now
    ).items():
        checks.append(drift.psi_check(f"catalog {feature}", reference, recent, thresholds=thresholds))
    reference_scores, recent_scores = monitoring_selectors.scores_between(reference_start, recent_start, now)
    checks.append(drift.psi_check("model score PSI", reference_scores, recent_scores, thresholds=thresholds))
    rates = monitoring_selectors.outcome_rates_between(reference_start, recent_start, now)
    checks.append(
        drift.rate_check("skip rate", *rates["skip_rate"], thresholds=thresholds, higher_is_worse=True)
    )
    checks.append(
        drift.rate_check(
            "completion rate", *rates["completion_rate"], thresholds=thresholds, higher_is_worse=False
        )
    )
    return _drift_store(checks, reference_start=reference_start, recent_start=recent_start, now=now)


@transaction.atomic
def _drift_store(
    checks: list[drift.DriftCheck], *, reference_start: datetime, recent_start: datetime, now: datetime
) -> DriftReport:
    alerts = [check for check in checks if check.alert]
    report = DriftReport.objects.create(
        reference_start=reference_start,
        recent_start=recent_start,
        recent_end=now,
        checks=[_json_safe(check.to_dict()) for check in checks],
        alerts=len(alerts),
    )
    for check in alerts:
        logger.warning(
            "Drift alert: %s = %.4f crossed %.4f (%s)",
            check.name,
            check.value or 0.0,
            check.threshold,
            check.detail,
        )
        metrics_count_drift_alert(check.name)
    return report


def _json_safe(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("value")
    if isinstance(value, float) and math.isnan(value):
        row["value"] = None
    return row


# --- model quality ------------------------------------------------------------------------


@transaction.atomic
def model_promotion_decide(
    *, model_name: str, candidate_version: str, current: ModelMetrics | None, candidate: ModelMetrics
) -> ModelPromotion:
    """Decide whether a retrained model replaces the current one, and record why.

    The CF trainer evaluates both models on the most recent held-out events, calls this after
    each retrain and switches to the candidate only if ``.promoted`` is true.
    """
    decision = promotion_decide(
        current=current,
        candidate=candidate,
        min_users=settings.MODEL_PROMOTION_MIN_USERS,
        tolerance=settings.MODEL_PROMOTION_TOLERANCE,
    )
    if not decision.promote:
        logger.warning("Model %s %s not promoted: %s", model_name, candidate_version, decision.reason)
    return ModelPromotion.objects.create(
        model_name=model_name,
        candidate_version=candidate_version,
        current_metrics=asdict(current) if current else None,
        candidate_metrics=asdict(candidate),
        promoted=decision.promote,
        reason=decision.reason,
    )


def _promotion_gate(
    *, model_name: str, candidate_version: str, current: ModelMetrics | None, candidate: ModelMetrics
) -> bool:
    return model_promotion_decide(
        model_name=model_name, candidate_version=candidate_version, current=current, candidate=candidate
    ).promoted


def promotion_gate_register() -> None:
    """The CF trainer's quality gate decides through this app, which records every decision."""
    promotion.promotion_gate_register(_promotion_gate)
