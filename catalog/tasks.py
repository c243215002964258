"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from celery import shared_task
from django.conf import settings

from catalog import services

IMPORT_TIME_LIMIT_SECONDS = 2 * 60 * 60
EMBED_TIME_LIMIT_SECONDS = 10 * 60


@shared_task(
    time_limit=IMPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=IMPORT_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_catalog_import(*, import_id: int) -> None:
    services.catalog_import_run(import_id=import_id)


@shared_task(
    time_limit=EMBED_TIME_LIMIT_SECONDS,
    soft_time_limit=EMBED_TIME_LIMIT_SECONDS - 30,
    acks_late=True,
    reject_on_worker_lost=True,
)
def embed_pending_tracks() -> None:
    """Embed one batch of pending tracks, then queue the next batch while any remain."""
    embedded = services.track_embed_pending(limit=settings.EMBEDDING_BATCH_SIZE)
    if embedded:
        embed_pending_tracks.delay()
