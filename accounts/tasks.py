"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from celery import shared_task

from accounts import services

EXPORT_TIME_LIMIT_SECONDS = 30 * 60
ERASE_TIME_LIMIT_SECONDS = 30 * 60
RETENTION_TIME_LIMIT_SECONDS = 60 * 60


@shared_task(
    time_limit=EXPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=EXPORT_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def build_data_export(*, export_id: int) -> None:
    services.data_export_build(export_id=export_id)


@shared_task(
    time_limit=ERASE_TIME_LIMIT_SECONDS,
    soft_time_limit=ERASE_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def erase_account(*, user_id: int) -> None:
    services.account_erase(user_id=user_id)


@shared_task(
    time_limit=RETENTION_TIME_LIMIT_SECONDS,
    soft_time_limit=RETENTION_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def retention_purge() -> None:
    services.retention_purge()
