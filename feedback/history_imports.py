"""Listening-history imports: a file from another service (Spotify, Last.fm, ListenBrainz...)
matched to the catalog and stored as listening events, in a background job."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from accounts.consent import ConsentRequired, consent_require
from accounts.models import ConsentPurpose, User
from config.errors import ApplicationError
from config.jobs import (
    LOST_WORKER_MESSAGE,
    UNFINISHED,
    JobStatus,
    JobTakenAway,
    job_claim,
    job_fail,
    job_finish,
    job_progress,
    jobs_sweep_stale,
)
from feedback.events import MAX_BATCH, MAX_POSITION_MS
from feedback.history_formats import HistoryFormatError, Play, RowProblem, ZipLimits, history_read
from feedback.ingestion import events_ingest
from feedback.matching import plays_match
from feedback.models import (
    HistoryFormat,
    HistoryImport,
)

logger = logging.getLogger(__name__)


# --- listening-history imports ------------------------------------------------------------------

HISTORY_BATCH = MAX_BATCH  # plays matched and stored per transaction
HISTORY_SKIPPED_KEPT = 200
HISTORY_UNMATCHED_KEPT = 100
# Plays shorter than this were skipped (Spotify's own "skipped" flag is often unset).
HISTORY_SKIP_MS = 30_000
# Event ids derive from (listener, time, track): the same play imported twice is one event.
HISTORY_EVENT_NAMESPACE = uuid.UUID("5e6b0f5e-8f8e-4e39-9b0e-2f1a3c1d6a01")


@dataclass
class HistoryImportSummary:
    plays_read: int = 0
    plays_matched: int = 0
    plays_unmatched: int = 0
    events_stored: int = 0
    events_already_imported: int = 0
    rows_skipped: int = 0
    skipped: list[RowProblem] = field(default_factory=list)
    unmatched: Counter[tuple[str, str]] = field(default_factory=Counter)

    def skip(self, problem: RowProblem) -> None:
        self.rows_skipped += 1
        if len(self.skipped) < HISTORY_SKIPPED_KEPT:
            self.skipped.append(problem)

    def unmatched_report(self) -> list[dict[str, Any]]:
        return [
            {"artist": artist, "title": title, "plays": plays}
            for (artist, title), plays in self.unmatched.most_common(HISTORY_UNMATCHED_KEPT)
        ]


class HistoryFileTooLarge(ApplicationError):
    """An uploaded history over HISTORY_UPLOAD_MAX_BYTES (the API answers 413)."""


class HistoryImportBusy(ApplicationError):
    """The listener already has an import queued or running (the API answers 409)."""


HISTORY_BUSY_MESSAGE = (
    "An import of yours is already queued or running; start the next one when it has finished."
)


def history_import_request(*, user: User, uploaded_file: UploadedFile, history_format: str) -> HistoryImport:
    """Check and store an uploaded history file, and queue its import (a background job)."""
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    if history_format not in HistoryFormat.values:
        raise ApplicationError(
            f"Unknown history format “{history_format}”; use one of {', '.join(HistoryFormat.values)}."
        )
    size = uploaded_file.size or 0
    if size > settings.HISTORY_UPLOAD_MAX_BYTES:
        raise HistoryFileTooLarge(
            f"The file is {size:,} bytes; uploads up to {settings.HISTORY_UPLOAD_MAX_BYTES:,} bytes are "
            "accepted (larger histories: `manage.py import_history`).",
            extra={"limit": settings.HISTORY_UPLOAD_MAX_BYTES},
        )
    if not size:
        raise ApplicationError("The file is empty.")
    from feedback.tasks import run_history_import

    if HistoryImport.objects.filter(user=user, status__in=HISTORY_ACTIVE).exists():
        raise HistoryImportBusy(HISTORY_BUSY_MESSAGE)
    try:
        with transaction.atomic():
            # The partial unique index (one unfinished import per listener) settles a race.
            job = HistoryImport.objects.create(
                user=user,
                history_format=history_format,
                original_name=(uploaded_file.name or "history")[:255],
                bytes_total=size,
            )
            job.file.save(f"{job.pk}-{uuid.uuid4().hex}", uploaded_file, save=True)
            run_history_import.delay_on_commit(import_id=job.pk)  # type: ignore[attr-defined]
    except IntegrityError as error:
        raise HistoryImportBusy(HISTORY_BUSY_MESSAGE) from error
    return job


HISTORY_ACTIVE = UNFINISHED


def history_import_run(*, import_id: int) -> None:
    """Run a queued history import (the worker). Idempotent: only a queued job is started."""
    if not HistoryImport.objects.filter(pk=import_id, status=JobStatus.QUEUED).exists():
        return  # finished, or running in another worker (a redelivered message): nothing to do
    if not job_claim(HistoryImport, pk=import_id):
        return
    job = HistoryImport.objects.select_related("user").get(pk=import_id)
    summary = HistoryImportSummary()
    try:
        with job.file.open("rb") as handle:
            summary = history_import_stream(
                user=job.user,
                handle=handle,
                history_format=job.history_format,
                name=job.original_name,
                summary=summary,
                on_progress=lambda: _history_job_record(job, summary, bytes_read=handle.tell()),
                zip_limits=ZipLimits(
                    max_inflated_bytes=settings.HISTORY_ZIP_MAX_INFLATED_BYTES,
                    max_ratio=settings.HISTORY_ZIP_MAX_RATIO,
                ),
            )
    except JobTakenAway:
        logger.warning("History import %s was failed by the stale sweep while running; stopped.", import_id)
        return
    except (HistoryFormatError, ApplicationError, ConsentRequired) as error:
        _history_job_finish(job, summary, status=JobStatus.FAILED, error=_stopped_message(error, summary))
        return
    except Exception as error:
        # Never leave a job running forever; the worker log keeps the traceback.
        message = f"Internal error: {type(error).__name__}. {history_partial_note(summary)}"
        _history_job_finish(job, summary, status=JobStatus.FAILED, error=message.strip())
        raise
    _history_job_finish(job, summary, status=JobStatus.SUCCEEDED)


def _stopped_message(error: Exception, summary: HistoryImportSummary) -> str:
    detail = getattr(error, "detail", None) or str(error)
    return f"{detail} {history_partial_note(summary)}".strip()


def history_partial_note(summary: HistoryImportSummary) -> str:
    if not summary.events_stored:
        return "Nothing was imported."
    return (
        f"The {summary.events_stored:,} plays read before this point were imported; import the "
        "file again once it is fixed — plays already imported are not added twice."
    )


def history_import_stream(
    *,
    user: User,
    handle: IO[bytes],
    history_format: str,
    name: str,
    summary: HistoryImportSummary | None = None,
    on_progress: Callable[[], object] | None = None,
    zip_limits: ZipLimits | None = None,
) -> HistoryImportSummary:
    """Import a history file into ``user``'s listening events, batch by batch (each batch all or
    nothing). Plays are matched to the catalog (Spotify URI, ISRC, MusicBrainz id, else artist +
    title); unmatched plays and unreadable rows are counted and reported, never stored."""
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    summary = summary if summary is not None else HistoryImportSummary()
    batch: list[Play] = []
    for parsed in history_read(handle, history_format=history_format, name=name, zip_limits=zip_limits):
        if isinstance(parsed, RowProblem):
            summary.skip(parsed)
            continue
        summary.plays_read += 1
        batch.append(parsed)
        if len(batch) == HISTORY_BATCH:
            _history_batch_import(user=user, plays=batch, history_format=history_format, summary=summary)
            batch = []
            if on_progress is not None:
                on_progress()
    if batch:
        _history_batch_import(user=user, plays=batch, history_format=history_format, summary=summary)
    if on_progress is not None:
        on_progress()
    return summary


def _history_batch_import(
    *, user: User, plays: list[Play], history_format: str, summary: HistoryImportSummary
) -> None:
    matches = plays_match(plays=plays)
    events = [
        _history_event(user=user, play=play, track_id=track_id, history_format=history_format)
        for play, track_id in zip(plays, matches.track_ids, strict=True)
        if track_id is not None
    ]
    summary.plays_matched += len(events)
    summary.plays_unmatched += len(matches.unmatched)
    summary.unmatched.update((play.artist_name, play.track_name) for play in matches.unmatched)
    if not events:
        return
    result = events_ingest(user=user, events=events, scrobble=False)
    summary.events_stored += result.stored
    summary.events_already_imported += result.duplicates
    for error in result.errors:
        event = events[error.index]
        summary.skip(RowProblem(f"play at {event['occurred_at']}", error.message))


def _history_event(*, user: User, play: Play, track_id: int, history_format: str) -> dict[str, Any]:
    """The listening event a play becomes: a skip when it was skipped or short, else a completion."""
    occurred_at = play.ts if play.ts.tzinfo else play.ts.replace(tzinfo=UTC)
    short = history_format == HistoryFormat.SPOTIFY and play.ms_played < HISTORY_SKIP_MS
    kind = "skip" if play.skipped or short else "complete"
    event: dict[str, Any] = {
        "id": str(uuid.uuid5(HISTORY_EVENT_NAMESPACE, f"{user.pk}|{occurred_at.isoformat()}|{track_id}")),
        "kind": kind,
        "track": track_id,
        "occurred_at": occurred_at.isoformat(),
    }
    if kind == "skip":
        event["position_ms"] = event["ms_played"] = min(play.ms_played, MAX_POSITION_MS)
    return event


HISTORY_PROGRESS_FIELDS = (
    "bytes_read",
    "plays_read",
    "plays_matched",
    "plays_unmatched",
    "events_stored",
    "events_already_imported",
    "rows_skipped",
)


def _history_job_record(job: HistoryImport, summary: HistoryImportSummary, *, bytes_read: int) -> None:
    """Progress after each batch: counts only, in constant time (the unmatched-track and skipped-row
    reports are written once, at the end), and a heartbeat. Stops the import (JobTakenAway) when
    the job is no longer running (the stale sweep failed it)."""
    _history_job_counts(job, summary, bytes_read=bytes_read)
    job_progress(job, fields=HISTORY_PROGRESS_FIELDS)


def _history_job_counts(job: HistoryImport, summary: HistoryImportSummary, *, bytes_read: int) -> None:
    job.bytes_read = min(bytes_read, job.bytes_total)
    job.plays_read = summary.plays_read
    job.plays_matched = summary.plays_matched
    job.plays_unmatched = summary.plays_unmatched
    job.events_stored = summary.events_stored
    job.events_already_imported = summary.events_already_imported
    job.rows_skipped = summary.rows_skipped


def _history_job_reports(job: HistoryImport, summary: HistoryImportSummary) -> None:
    job.skipped_rows = [{"where": problem.where, "reason": problem.reason} for problem in summary.skipped]
    job.unmatched_tracks = summary.unmatched_report()


def _history_job_finish(
    job: HistoryImport, summary: HistoryImportSummary, *, status: str, error: str = ""
) -> None:
    _history_job_counts(
        job, summary, bytes_read=job.bytes_total if status == JobStatus.SUCCEEDED else job.bytes_read
    )
    _history_job_reports(job, summary)
    if job.file:
        job.file.delete(save=False)  # the events are what is kept
    job_finish(
        job,
        status=status,
        error=error,
        fields=("file", "skipped_rows", "unmatched_tracks", *HISTORY_PROGRESS_FIELDS),
    )


def history_imports_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the imports whose worker was lost (no heartbeat for ``stale_after``) and delete their
    uploads. Events of the batches already imported stay; importing the file again adds only the
    rest (event ids derive from the plays)."""

    def fail(job: HistoryImport) -> None:
        if job.file:
            job.file.delete(save=False)
        job_fail(
            job,
            error=(
                f"{LOST_WORKER_MESSAGE} {job.events_stored:,} plays were imported before it stopped. "
                "Upload the file again to retry: plays already imported are not added twice."
            ),
            fields=("file",),
        )

    running = jobs_sweep_stale(
        kind=HistoryImport.job_kind,
        unfinished=HistoryImport.objects.filter(status=JobStatus.RUNNING),
        started_field="created_at",
        stale_after=stale_after,
        fail=fail,
    )
    # A queued import whose message was lost would keep the listener from importing at all.
    queued = jobs_sweep_stale(
        kind=HistoryImport.job_kind,
        unfinished=HistoryImport.objects.filter(status=JobStatus.QUEUED),
        started_field="created_at",
        stale_after=stale_after * HISTORY_QUEUED_STALE_FACTOR,
        fail=fail,
    )
    return running + queued


# Imports wait their turn on busy workers: a queued one is stale only after this many times longer.
HISTORY_QUEUED_STALE_FACTOR = 12
