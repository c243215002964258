"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from celery import shared_task

from playlists import services

GENERATION_TIME_LIMIT_SECONDS = 120
REFRESH_SWEEP_TIME_LIMIT_SECONDS = 300


@shared_task(
    time_limit=GENERATION_TIME_LIMIT_SECONDS,
    soft_time_limit=GENERATION_TIME_LIMIT_SECONDS - 15,
    acks_late=True,
    reject_on_worker_lost=True,
)
def generate_playlist_version(version_id: int) -> None:
    services.playlist_version_generate(version_id=version_id)


@shared_task(
    time_limit=REFRESH_SWEEP_TIME_LIMIT_SECONDS,
    soft_time_limit=REFRESH_SWEEP_TIME_LIMIT_SECONDS - 30,
    acks_late=True,
    reject_on_worker_lost=True,
)
def refresh_due_playlists() -> int:
    """Queue a new version of every playlist whose daily or weekly refresh is due."""
    return services.playlists_refresh_due()
