"""Thin Celery tasks of experiments and monitoring, and the signals that record every run of a
scheduled (beat) task for the panel's schedule page."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import task_failure, task_postrun, task_prerun

from config.request_id import request_id_current
from editorial.experiments import monitoring_selectors, monitoring_services
from editorial.experiments.models import TaskOutcome

logger = logging.getLogger(__name__)

DRIFT_REPORT_TIME_LIMIT_SECONDS = 15 * 60


@shared_task(
    time_limit=DRIFT_REPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=DRIFT_REPORT_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def drift_report() -> int:
    """Compare recent with reference windows and store the report; returns the number of alerts.
    Safe to run twice: each run is a new, self-contained report."""
    return monitoring_services.drift_report_create().alerts


def _recorded(task: Any) -> bool:
    return getattr(task, "name", None) in monitoring_selectors.beat_tasks()


@task_prerun.connect
def _task_run_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    if task_id and _recorded(task):
        try:
            monitoring_services.task_run_start(
                task=task.name, task_id=task_id, request_id=request_id_current()
            )
        except Exception:  # recording must never stop the task itself
            logger.warning("Could not record the start of %s", task_id, exc_info=True)


@task_failure.connect
def _task_run_failed(
    task_id: str = "", exception: BaseException | None = None, sender: Any = None, **kwargs: Any
) -> None:
    if task_id and _recorded(sender):
        try:
            monitoring_services.task_run_finish(
                task_id=task_id, outcome=TaskOutcome.FAILURE, error=f"{type(exception).__name__}: {exception}"
            )
        except Exception:
            logger.warning("Could not record the failure of %s", task_id, exc_info=True)


@task_postrun.connect
def _task_run_finished(task_id: str = "", task: Any = None, state: str = "", **kwargs: Any) -> None:
    if task_id and _recorded(task):
        outcome = {"SUCCESS": TaskOutcome.SUCCESS, "RETRY": TaskOutcome.RETRY}.get(state, TaskOutcome.FAILURE)
        try:
            monitoring_services.task_run_finish(task_id=task_id, outcome=outcome)
        except Exception:
            logger.warning("Could not record the end of %s", task_id, exc_info=True)
