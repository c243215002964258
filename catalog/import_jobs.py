"""Catalog imports as background jobs: an uploaded file stored, queued, imported by a worker
with progress and a heartbeat, and failed by the stale sweep when its worker is lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User
from catalog import importing
from catalog.embedding_services import embedding_queue
from catalog.importing import ImportFileError, ImportSpec
from catalog.models import CatalogImport
from catalog.services import ImportProgress, ImportSummary, catalog_import_stream
from config.errors import ApplicationError
from config.jobs import (
    LOST_WORKER_MESSAGE,
    JobStatus,
    JobTakenAway,
    job_claim,
    job_fail,
    job_finish,
    job_progress,
    jobs_sweep_stale,
)

logger = logging.getLogger(__name__)

# --- background import jobs --------------------------------------------------------------------


def catalog_import_request(
    *,
    user: User,
    uploaded_file: UploadedFile,
    source: str,
    file_format: str = "",
    column_map: str = "",
    tag_columns: str = "",
    strict: bool = False,
) -> CatalogImport:
    """Check an uploaded catalog file's options, store it, and queue its import."""
    name = uploaded_file.name or "upload"
    if uploaded_file.size and uploaded_file.size > settings.CATALOG_UPLOAD_MAX_BYTES:
        raise ApplicationError(f"The file is larger than {settings.CATALOG_UPLOAD_MAX_BYTES} bytes.")
    if not uploaded_file.size:
        raise ApplicationError("The file is empty.")
    source = source.strip()
    if not source:
        raise ApplicationError("A source name is required (e.g. spotify, musicbrainz, label-x).")
    try:
        detected_format = importing.detect_format(name, file_format or None)
        parsed_map = importing.parse_column_map(column_map)
        parsed_tags = importing.parse_tag_columns(tag_columns)
    except ImportFileError as exc:
        raise ApplicationError(str(exc)) from exc

    from catalog.tasks import run_catalog_import

    with transaction.atomic():
        job = CatalogImport.objects.create(
            created_by=user,
            file=uploaded_file,
            original_name=name[:300],
            file_format=detected_format,
            source=source[:50],
            column_map=parsed_map,
            tag_columns=[f"{tag.column}:{tag.kind}" for tag in parsed_tags],
            strict=strict,
            bytes_total=uploaded_file.size or 0,
        )
        run_catalog_import.delay_on_commit(import_id=job.pk)  # type: ignore[attr-defined]
    return job


def catalog_import_run(*, import_id: int) -> None:
    """Run a queued import job. Idempotent: only a job still queued is started."""
    if not job_claim(CatalogImport, pk=import_id):
        return
    job = CatalogImport.objects.get(pk=import_id)
    spec = ImportSpec(
        file_format=job.file_format,
        column_map=job.column_map,
        tag_columns=importing.parse_tag_columns(job.tag_columns),
        source=job.source,
    )

    def save_progress(progress: ImportProgress) -> None:
        _import_job_record(job, progress.summary, bytes_read=progress.bytes_read)
        job_progress(job, fields=IMPORT_PROGRESS_FIELDS)

    try:
        with job.file.open("rb") as binary:
            summary = catalog_import_stream(
                binary=binary,
                name=job.original_name,
                bytes_total=job.bytes_total,
                spec=spec,
                strict=job.strict,
                on_progress=save_progress,
            )
    except JobTakenAway:
        logger.warning("Catalog import %s was failed by the stale sweep while running; stopped.", import_id)
        return
    except (ImportFileError, ApplicationError) as exc:
        _import_job_finish(job, status=JobStatus.FAILED, error=str(exc))
        return
    except Exception as exc:
        # Never leave a job 'running' forever; the worker log keeps the traceback.
        _import_job_finish(job, status=JobStatus.FAILED, error=f"Internal error: {type(exc).__name__}: {exc}")
        raise
    _import_job_record(job, summary, bytes_read=job.bytes_total)
    _import_job_finish(job, status=JobStatus.SUCCEEDED)
    embedding_queue()


IMPORT_PROGRESS_FIELDS = (
    "bytes_read",
    "rows_read",
    "tracks_created",
    "tracks_updated",
    "rows_skipped",
    "skipped_rows",
)


def _import_job_record(job: CatalogImport, summary: ImportSummary, *, bytes_read: int) -> None:
    job.bytes_read = bytes_read
    job.rows_read = summary.rows_read
    job.tracks_created = summary.tracks_created
    job.tracks_updated = summary.tracks_updated
    job.rows_skipped = summary.rows_skipped
    job.skipped_rows = [{"line": row.line_number, "reason": row.reason} for row in summary.skipped]


def _import_job_finish(job: CatalogImport, *, status: str, error: str = "") -> None:
    """Record the outcome and delete the uploaded file: the tracks are in the catalog (or the job
    failed and a new upload is needed), and a catalog dump left on disk only takes space."""
    if job.file:
        job.file.delete(save=False)
    job_finish(job, status=status, error=error, fields=("file", *IMPORT_PROGRESS_FIELDS))


def catalog_imports_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the running imports whose worker was lost (no heartbeat for ``stale_after``) and
    delete their uploads. Rows already imported stay (an import upserts by source id), so uploading
    the file again is the retry."""

    def fail(job: CatalogImport) -> None:
        if job.file:
            job.file.delete(save=False)
        job_fail(
            job,
            error=(
                f"{LOST_WORKER_MESSAGE} {job.rows_read:,} rows were read before it stopped. Upload the "
                "file again to retry: tracks already imported are updated, not duplicated."
            ),
            fields=("file",),
        )

    return jobs_sweep_stale(
        kind=CatalogImport.job_kind,
        unfinished=CatalogImport.objects.filter(status=JobStatus.RUNNING),
        started_field="started_at",
        stale_after=stale_after,
        fail=fail,
    )
