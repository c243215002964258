"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from celery import shared_task

from editorial import playlist_services, review_services
from editorial.playlist_services import BUILD_TIME_LIMIT_SECONDS

SWEEP_TIME_LIMIT_SECONDS = 300


@shared_task(
    time_limit=BUILD_TIME_LIMIT_SECONDS,
    soft_time_limit=BUILD_TIME_LIMIT_SECONDS - 15,
    acks_late=True,
    reject_on_worker_lost=True,
)
def build_editorial_playlist(*, playlist_id: int) -> None:
    playlist_services.editorial_playlist_build(playlist_id=playlist_id)


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 30)
def scan_review_queue() -> int:
    """Flag low-confidence parses and rising prompts for the desk."""
    return review_services.review_scan()


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 30)
def snapshot_review_queue() -> int:
    """Record the queue's size per reason (the dashboards chart it over time)."""
    return len(review_services.queue_snapshot())
