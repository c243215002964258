"""Thin Celery tasks: ids in, a service call, safe to run twice."""

import logging
import threading
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import connection

from config.jobs import job_heartbeat
from playlists import services

logger = logging.getLogger(__name__)

GENERATION_TIME_LIMIT_SECONDS = 120
REFRESH_SWEEP_TIME_LIMIT_SECONDS = 300


@shared_task(
    time_limit=GENERATION_TIME_LIMIT_SECONDS,
    soft_time_limit=GENERATION_TIME_LIMIT_SECONDS - 15,
    acks_late=True,
    reject_on_worker_lost=True,
)
def generate_version(version_id: int) -> None:
    job_heartbeat(services.PLAYLIST_VERSION_JOB, version_id)
    services.playlist_version_build(version_id=version_id)


SWEEP_TIME_LIMIT_SECONDS = 60


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 10)
def sweep_playlist_versions() -> list[int]:
    """Beat: versions whose generation was lost with its worker are marked failed (with a retry)."""
    return services.playlist_versions_sweep_stale(
        stale_after=timedelta(seconds=settings.PLAYLIST_VERSION_STALE_SECONDS)
    )


@shared_task(
    time_limit=REFRESH_SWEEP_TIME_LIMIT_SECONDS,
    soft_time_limit=REFRESH_SWEEP_TIME_LIMIT_SECONDS - 30,
    acks_late=True,
    reject_on_worker_lost=True,
)
def refresh_due_playlists() -> int:
    """Queue a new version of every playlist whose daily or weekly refresh is due."""
    return services.playlists_refresh_due()


@worker_process_init.connect
def warm_up_generation(**kwargs: object) -> None:
    """Load the text model and the catalog's vocabulary when a worker process starts, so the
    first playlist does not wait for them. In a thread: process init has a short time limit."""

    def load() -> None:
        from playlists.composer import vocabulary_load

        try:
            vocabulary_load()
        except Exception:  # a worker without a reachable database still starts; the task will say why
            logger.warning("Could not warm up the playlist vocabulary", exc_info=True)
        finally:
            connection.close()

    threading.Thread(target=load, name="warm-up-generation", daemon=True).start()
