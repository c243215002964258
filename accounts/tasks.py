"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from accounts import exports, services

EXPORT_TIME_LIMIT_SECONDS = 30 * 60
ERASE_TIME_LIMIT_SECONDS = 30 * 60
RETENTION_TIME_LIMIT_SECONDS = 60 * 60


def _privacy_task(time_limit: int) -> Callable[[Callable[..., None]], Any]:
    """A task with a hard limit, a soft one a minute earlier, re-run if its worker dies."""
    return shared_task(
        time_limit=time_limit, soft_time_limit=time_limit - 60, acks_late=True, reject_on_worker_lost=True
    )


@_privacy_task(EXPORT_TIME_LIMIT_SECONDS)
def build_data_export(*, export_id: int) -> None:
    exports.data_export_build(export_id=export_id)


@_privacy_task(ERASE_TIME_LIMIT_SECONDS)
def erase_account(*, user_id: int) -> None:
    services.account_erase(user_id=user_id)


@_privacy_task(RETENTION_TIME_LIMIT_SECONDS)
def retention_purge() -> None:
    services.retention_purge()


SWEEP_TIME_LIMIT_SECONDS = 60


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 10)
def sweep_data_exports() -> list[int]:
    """Beat: exports whose worker was lost are marked failed and their partial ZIPs deleted."""
    return exports.data_exports_sweep_stale(stale_after=timedelta(seconds=settings.DATA_EXPORT_STALE_SECONDS))
