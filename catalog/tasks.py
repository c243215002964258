"""Thin Celery tasks: ids in, a service call, safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from catalog import embedding_services, import_jobs, media_analysis, sources, subsonic_services

IMPORT_TIME_LIMIT_SECONDS = 2 * 60 * 60
EMBED_TIME_LIMIT_SECONDS = 10 * 60
# A scan of a very large folder on a slow disk; a stopped scan resumes where it stopped.
SCAN_TIME_LIMIT_SECONDS = 12 * 60 * 60
# A batch of LIBRARY_ANALYSIS_BATCH_SIZE files at about a second each, with room for slow files.
ANALYSIS_TIME_LIMIT_SECONDS = 30 * 60
SWEEP_TIME_LIMIT_SECONDS = 60
# Pushing a playlist or a few scrobbles: a handful of requests, each with its own timeout.
PUSH_TIME_LIMIT_SECONDS = 5 * 60


@shared_task(
    time_limit=IMPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=IMPORT_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_catalog_import(*, import_id: int) -> None:
    import_jobs.catalog_import_run(import_id=import_id)


@shared_task(
    time_limit=EMBED_TIME_LIMIT_SECONDS,
    soft_time_limit=EMBED_TIME_LIMIT_SECONDS - 30,
    acks_late=True,
    reject_on_worker_lost=True,
)
def embed_pending_tracks() -> None:
    """Embed one batch of pending tracks, then queue the next batch while any remain."""
    embedded = embedding_services.track_embed_pending(limit=settings.EMBEDDING_BATCH_SIZE)
    if embedded:
        embed_pending_tracks.delay()


@shared_task(
    time_limit=SCAN_TIME_LIMIT_SECONDS,
    soft_time_limit=SCAN_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def scan_library_source(*, scan_id: int) -> None:
    """Run a queued library scan (routed to the "library" queue; a rerun finds it claimed)."""
    sources.library_scan_run(scan_id=scan_id)


@shared_task(
    time_limit=ANALYSIS_TIME_LIMIT_SECONDS,
    soft_time_limit=ANALYSIS_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def analyse_media_files(*, media_file_ids: list[int]) -> None:
    """Analyse a batch of media files (the "analysis" queue); files already analysed are skipped."""
    for media_file_id in media_file_ids:
        media_analysis.media_file_analyse(media_file_id=media_file_id)


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 10)
def sweep_library_scans() -> None:
    """Beat: a running scan without a recent heartbeat failed (its worker was lost)."""
    sources.library_scan_sweep_stale(stale_after=timedelta(seconds=settings.LIBRARY_SCAN_STALE_SECONDS))


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 10)
def sweep_catalog_imports() -> list[int]:
    """Beat: catalog imports whose worker was lost are marked failed and their uploads deleted."""
    return import_jobs.catalog_imports_sweep_stale(
        stale_after=timedelta(seconds=settings.CATALOG_IMPORT_STALE_SECONDS)
    )


@shared_task(
    time_limit=SCAN_TIME_LIMIT_SECONDS,
    soft_time_limit=SCAN_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def sync_subsonic_source(*, scan_id: int) -> None:
    """Run a queued Subsonic sync (the "library" queue; a rerun finds it claimed)."""
    subsonic_services.subsonic_sync_run(scan_id=scan_id)


@shared_task(time_limit=SWEEP_TIME_LIMIT_SECONDS, soft_time_limit=SWEEP_TIME_LIMIT_SECONDS - 10)
def sync_subsonic_sources() -> None:
    """Beat: resync every Subsonic source (one already syncing is left alone)."""
    subsonic_services.subsonic_sources_sync_all()


@shared_task(
    time_limit=ANALYSIS_TIME_LIMIT_SECONDS,
    soft_time_limit=ANALYSIS_TIME_LIMIT_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def analyse_subsonic_files(*, media_file_ids: list[int]) -> None:
    """Analyse a batch of Subsonic songs through the server's stream endpoint, politely."""
    for media_file_id in media_file_ids:
        subsonic_services.subsonic_file_analyse(media_file_id=media_file_id)


@shared_task(time_limit=PUSH_TIME_LIMIT_SECONDS, soft_time_limit=PUSH_TIME_LIMIT_SECONDS - 10)
def refresh_subsonic_pushes(
    *, user_id: int, playlist_id: int, name: str, version_number: int, track_ids: list[int]
) -> None:
    """A playlist got a new version: its pushed copies follow (a copy already there is skipped)."""
    subsonic_services.subsonic_pushes_refresh(
        user_id=user_id,
        playlist_id=playlist_id,
        name=name,
        version_number=version_number,
        track_ids=track_ids,
    )


@shared_task(time_limit=PUSH_TIME_LIMIT_SECONDS, soft_time_limit=PUSH_TIME_LIMIT_SECONDS - 10)
def scrobble_subsonic(*, user_id: int, plays: list[tuple[int, int, bool]]) -> None:
    """Send plays made in Segue to the listener's linked servers (consent checked when sent)."""
    subsonic_services.subsonic_scrobbles_send(user_id=user_id, plays=[tuple(play) for play in plays])  # type: ignore[misc]
