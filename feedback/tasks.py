"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from feedback import history_imports, services, subsonic_history

CF_TRAIN_TIME_LIMIT_SECONDS = 1800
USER_VECTOR_TIME_LIMIT_SECONDS = 60


@shared_task(
    time_limit=CF_TRAIN_TIME_LIMIT_SECONDS,
    soft_time_limit=CF_TRAIN_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def train_cf() -> int | None:
    """Retrain ALS on all affinities (nightly from beat, or on demand); returns the run id."""
    run = services.cf_train()
    return run.pk if run else None


@shared_task(
    time_limit=USER_VECTOR_TIME_LIMIT_SECONDS,
    soft_time_limit=USER_VECTOR_TIME_LIMIT_SECONDS - 10,
    acks_late=True,
    reject_on_worker_lost=True,
)
def refresh_user_vector(user_id: int) -> bool:
    """One listener's CF vector from the current item factors, right after new events."""
    return services.user_vector_refresh(user_id=user_id)


HISTORY_IMPORT_TIME_LIMIT_SECONDS = 60 * 60


@shared_task(
    time_limit=HISTORY_IMPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=HISTORY_IMPORT_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_history_import(*, import_id: int) -> None:
    """Import an uploaded listening history (only a job still queued is started)."""
    history_imports.history_import_run(import_id=import_id)


SWEEP_TIME_LIMIT_SECONDS = 60


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 10)
def sweep_history_imports() -> list[int]:
    """Beat: imports whose worker was lost are marked failed and their uploads deleted."""
    return history_imports.history_imports_sweep_stale(
        stale_after=timedelta(seconds=settings.HISTORY_IMPORT_STALE_SECONDS)
    )


SUBSONIC_IMPORT_TIME_LIMIT_SECONDS = 30 * 60


@shared_task(
    time_limit=SUBSONIC_IMPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=SUBSONIC_IMPORT_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def import_subsonic_history(*, link_id: int) -> None:
    """Import a linked server account's starred songs and play counts (event ids make a rerun a no-op)."""
    subsonic_history.subsonic_history_import_run(link_id=link_id)
