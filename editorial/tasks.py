"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from celery import shared_task

from editorial import services

BUILD_TIME_LIMIT_SECONDS = 120
SWEEP_TIME_LIMIT_SECONDS = 300


@shared_task(
    time_limit=BUILD_TIME_LIMIT_SECONDS,
    soft_time_limit=BUILD_TIME_LIMIT_SECONDS - 15,
    acks_late=True,
    reject_on_worker_lost=True,
)
def build_editorial_playlist(*, playlist_id: int) -> None:
    services.editorial_playlist_build(playlist_id=playlist_id)


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 30)
def scan_review_queue() -> int:
    """Flag low-confidence parses and rising prompts for the desk."""
    return services.review_scan()


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 30)
def snapshot_review_queue() -> int:
    """Record the queue's size per reason (the dashboards chart it over time)."""
    return len(services.queue_snapshot())
