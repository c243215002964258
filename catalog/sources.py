"""Every write about library sources: adding and removing folders, scanning them, storing analysis.

A scan walks the folder in path order (``catalog.library.walk``), reads each new or changed file
(``catalog.library.tags``) and writes it in its own transaction, so one bad file never stops the
scan and a stopped scan can resume after the last path it committed.

Track identity: a scanned file joins the catalog track of the same recording: same MusicBrainz
recording id, else same ISRC, else the same normalized title and first artist with a duration
within ±2 s. Otherwise a new track is made with ``source="library"``. A file that moved (same
content hash, or same MusicBrainz recording id, and its old path is gone) keeps its row and track.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from catalog.embedding_services import embedding_queue
from catalog.library.tags import FileTags, UnreadableFile, content_hash, read_audio_file
from catalog.library.walk import FoundFile, RootError, root_check, walk_audio_files
from catalog.models import LibraryScan, LibrarySource, LibrarySourceKind, MediaFile
from catalog.services import track_documents_refresh
from config.errors import ApplicationError
from config.jobs import (
    JobStatus,
    JobTakenAway,
    job_claim,
    job_fail,
    job_finish,
    job_progress,
    jobs_sweep_stale,
)

if TYPE_CHECKING:
    pass

from catalog.media_analysis import media_files_analysis_queue
from catalog.track_identity import track_for_file, track_update_from_tags

logger = logging.getLogger(__name__)

FAILURES_KEPT = 200
ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


# --- sources ---------------------------------------------------------------------------------


def _folder_root(root: str) -> str:
    try:
        return str(root_check(Path(root.strip()).expanduser()))
    except RootError as exc:
        raise ApplicationError(str(exc)) from exc


@transaction.atomic
def library_source_add(
    *, root: str, name: str = "", user: User | None = None, scan: bool = False
) -> LibrarySource:
    """Add a music folder (and with ``scan``, queue its first scan).

    ApplicationError if the folder is missing, unreadable or already a library.
    """
    resolved = _folder_root(root)
    if LibrarySource.objects.filter(kind=LibrarySourceKind.FOLDER, root=resolved).exists():
        raise ApplicationError(f"{resolved} is already a library.")
    try:
        with transaction.atomic():
            source = LibrarySource.objects.create(
                kind=LibrarySourceKind.FOLDER,
                root=resolved,
                name=(name.strip() or Path(resolved).name or resolved)[:200],
                created_by=user,
            )
    except IntegrityError as exc:  # added by someone else a moment ago
        raise ApplicationError(f"{resolved} is already a library.") from exc
    if scan:
        library_scan_request(source_id=source.pk, user=user)
    return source


@transaction.atomic
def library_source_ensure(*, root: str, user: User | None = None) -> tuple[LibrarySource, bool]:
    """The folder source at ``root``, added if new; (source, created)."""
    resolved = _folder_root(root)
    existing = LibrarySource.objects.filter(kind=LibrarySourceKind.FOLDER, root=resolved).first()
    if existing is not None:
        return existing, False
    return library_source_add(root=resolved, user=user), True


@transaction.atomic
def library_source_remove(*, source_id: int) -> None:
    """Forget a library: its files and scans go; tracks stay in history, playlists and exports.

    A track made from this library's files and now without any file leaves new playlists
    (``catalog.selectors.tracks_playable_or_metadata_only``). Refused while a scan is running:
    cancel it first.
    """
    source = LibrarySource.objects.select_for_update().filter(pk=source_id).first()
    if source is None:
        raise ApplicationError("No such library.")
    if source.scans.filter(status=JobStatus.RUNNING).exists():
        raise ApplicationError("A scan of this library is running; cancel it first.")
    source.delete()


# --- scans -----------------------------------------------------------------------------------


@transaction.atomic
def library_scan_request(*, source_id: int, user: User | None = None, enqueue: bool = True) -> LibraryScan:
    """Queue a scan of a source, or return the one already queued (sent again) or running.

    After a cancelled or failed scan, the new one resumes after the last path that one committed.
    ``enqueue=False`` leaves it for the caller to run (``manage.py scan_library`` runs it in-process).
    """
    source = LibrarySource.objects.select_for_update().filter(pk=source_id).first()
    if source is None:
        raise ApplicationError("No such library.")
    if source.kind != LibrarySourceKind.FOLDER:
        raise ApplicationError("Only folder libraries can be scanned here.")
    return library_scan_open(source=source, user=user, enqueue=_scan_enqueue if enqueue else None)


def library_scan_open(
    *, source: LibrarySource, user: User | None, enqueue: Callable[[int], None] | None
) -> LibraryScan:
    """The source's queued or running scan, or a new one that resumes after the last path a
    cancelled or failed one committed (folder scans and Subsonic syncs alike). Call with the
    source row locked. ``enqueue`` sends a queued scan to its worker — again for one already
    queued, in case its message was lost (a flushed broker): the claim makes a duplicate a no-op.
    """
    active = source.scans.filter(status__in=ACTIVE_STATUSES).first()
    if active is not None:
        if active.status == JobStatus.QUEUED and enqueue is not None:
            enqueue(active.pk)
        return active
    last = source.scans.order_by("-created_at", "-pk").first()
    resume_after = ""
    if last is not None and last.status in (JobStatus.CANCELLED, JobStatus.FAILED):
        resume_after = last.resume_after
    scan = LibraryScan.objects.create(source=source, requested_by=user, resume_after=resume_after)
    if enqueue is not None:
        enqueue(scan.pk)
    return scan


def _scan_enqueue(scan_id: int) -> None:
    from catalog.tasks import scan_library_source

    scan_library_source.delay_on_commit(scan_id=scan_id)  # type: ignore[attr-defined]


@transaction.atomic
def library_scan_cancel(*, scan_id: int) -> LibraryScan:
    """A queued scan is cancelled at once; a running one stops at its next heartbeat."""
    scan = LibraryScan.objects.select_for_update().filter(pk=scan_id).first()
    if scan is None:
        raise ApplicationError("No such scan.")
    if scan.status == JobStatus.QUEUED:
        job_finish(scan, status=JobStatus.CANCELLED)
    elif scan.status == JobStatus.RUNNING:
        scan.cancel_requested = True
        scan.save(update_fields=["cancel_requested"])
    else:
        raise ApplicationError(f"This scan has already finished ({scan.get_status_display().lower()}).")
    return scan


SCAN_LOST_MESSAGE = "The scan stopped reporting (its worker was lost); a rescan resumes where it stopped."


def library_scan_sweep_stale(*, stale_after: timedelta) -> int:
    """Fail the running scans with no sign of life (their ``heartbeat_at`` column, else their
    start) for ``stale_after``: a lost worker. A rescan then resumes after the scan's last
    committed path. Returns how many were failed."""

    def fail(scan: LibraryScan) -> None:
        job_fail(
            scan, error="The scan stopped reporting (its worker was lost); a rescan resumes where it stopped."
        )

    running = LibraryScan.objects.filter(status=JobStatus.RUNNING).annotate(
        last_sign=Coalesce("heartbeat_at", "started_at")
    )
    failed = jobs_sweep_stale(
        kind=LibraryScan.job_kind,
        unfinished=running,
        started_field="last_sign",
        stale_after=stale_after,
        fail=fail,
    )
    return len(failed)


@dataclass(frozen=True)
class ScanProgress:
    scan: LibraryScan
    last_path: str


ScanProgressCallback = Callable[[ScanProgress], None]


class ScanCancelled(Exception):
    pass


def library_scan_run(
    *,
    scan_id: int,
    analyse: bool = True,
    on_progress: ScanProgressCallback | None = None,
) -> LibraryScan | None:
    """Run a queued scan; returns it finished, or None when it was not queued (idempotent).

    Not one transaction: each file commits on its own, and progress (counts, failures, the last
    committed path, a heartbeat) is saved every LIBRARY_SCAN_HEARTBEAT_FILES files or seconds.
    ``on_progress`` is called after every file (in-process: the command's progress bar).
    """
    if not job_claim(LibraryScan, pk=scan_id, heartbeat_at=timezone.now()):
        return None
    scan = LibraryScan.objects.select_related("source").get(pk=scan_id)
    try:
        root = root_check(Path(scan.source.root))
    except RootError as exc:
        return library_scan_finish(scan, status=JobStatus.FAILED, error=str(exc))
    start_after = scan.resume_after
    try:
        scan.files_total = _count_files(scan, root)
        _scan_files(scan, root, on_progress=on_progress)
        scan.files_removed = _mark_removed(scan, start_after=start_after)
    except ScanCancelled:
        return library_scan_finish(scan, status=JobStatus.CANCELLED)
    except JobTakenAway:
        # The sweep declared it lost (a heartbeat came too late); its row is no longer ours.
        logger.warning("Library scan %s was marked failed while running; stopping", scan.pk)
        return LibraryScan.objects.filter(pk=scan.pk).first()
    except SoftTimeLimitExceeded:
        library_scan_finish(
            scan,
            status=JobStatus.FAILED,
            error="The scan ran past its time limit; a rescan resumes where it stopped.",
        )
        raise
    except KeyboardInterrupt:  # Ctrl-C in `manage.py scan_library`
        library_scan_finish(
            scan, status=JobStatus.CANCELLED, error="Interrupted; a rescan resumes where it stopped."
        )
        raise
    except Exception as exc:
        library_scan_finish(
            scan, status=JobStatus.FAILED, error=f"Internal error: {type(exc).__name__}: {exc}"
        )
        raise
    library_scan_succeed(scan, queue_analysis=media_files_analysis_queue if analyse else None)
    if on_progress is not None:
        on_progress(ScanProgress(scan, scan.resume_after))
    return scan


def library_scan_succeed(scan: LibraryScan, *, queue_analysis: Callable[..., object] | None) -> None:
    """End a complete scan or sync: the source's last complete scan, then its analysis queued."""
    scan.resume_after = ""
    library_scan_finish(scan, status=JobStatus.SUCCEEDED)
    LibrarySource.objects.filter(pk=scan.source_id).update(last_scan_at=scan.finished_at)
    if queue_analysis is not None:
        queue_analysis(source_id=scan.source_id)


def library_scan_finish(scan: LibraryScan, *, status: str, error: str = "") -> LibraryScan:
    scan.heartbeat_at = timezone.now()
    job_finish(scan, status=status, error=error, fields=("heartbeat_at", "resume_after", *SCAN_COUNT_FIELDS))
    return scan


SCAN_COUNT_FIELDS = (
    "files_seen",
    "files_new",
    "files_changed",
    "files_unchanged",
    "files_removed",
    "files_failed",
    "failures",
)


def _scan_files(scan: LibraryScan, root: Path, *, on_progress: ScanProgressCallback | None) -> None:
    every_files = settings.LIBRARY_SCAN_HEARTBEAT_FILES
    every_seconds = settings.LIBRARY_SCAN_HEARTBEAT_SECONDS
    since_beat, last_beat = 0, time.monotonic()
    unchanged: list[int] = []
    documents_changed = 0
    for found in walk_audio_files(root, after=scan.resume_after):
        outcome, media_file_id, changed_documents = _scan_one(scan, root, found)
        documents_changed += changed_documents
        if outcome == "unchanged" and media_file_id is not None:
            unchanged.append(media_file_id)
        scan.files_seen += 1
        scan.resume_after = found.path
        since_beat += 1
        if on_progress is not None:
            on_progress(ScanProgress(scan, found.path))
        if since_beat >= every_files or time.monotonic() - last_beat >= every_seconds:
            _heartbeat(scan, unchanged)
            unchanged = []
            since_beat, last_beat = 0, time.monotonic()
    _heartbeat(scan, unchanged)
    if documents_changed:
        embedding_queue()


def _count_files(scan: LibraryScan, root: Path) -> int:
    """How many files the scan will meet; counting a big network folder takes a while, so it
    beats too."""
    total, last_beat = 0, time.monotonic()
    for _ in walk_audio_files(root, after=scan.resume_after):
        total += 1
        if time.monotonic() - last_beat >= settings.LIBRARY_SCAN_HEARTBEAT_SECONDS:
            _heartbeat(scan, [])
            last_beat = time.monotonic()
    scan.files_total = total
    scan.save(update_fields=["files_total"])
    return total


def _heartbeat(scan: LibraryScan, unchanged_ids: list[int]) -> None:
    with transaction.atomic():
        library_scan_progress(scan)
        if unchanged_ids:
            MediaFile.objects.filter(pk__in=unchanged_ids).update(last_seen_scan=scan.pk)


def library_scan_progress(scan: LibraryScan) -> None:
    """Save a running scan's or sync's progress; raise ScanCancelled when staff asked to cancel,
    JobTakenAway when the stale sweep marked it failed meanwhile (nothing is saved then)."""
    with transaction.atomic():
        scan.heartbeat_at = timezone.now()
        # The conditional UPDATE locks the row, so a cancel asked meanwhile is read after it.
        job_progress(scan, fields=("heartbeat_at", "resume_after", *SCAN_COUNT_FIELDS))
        cancel_requested = (
            LibraryScan.objects.filter(pk=scan.pk).values_list("cancel_requested", flat=True).first()
        )
    if cancel_requested:
        raise ScanCancelled


def library_scan_failure_add(scan: LibraryScan, path: str, reason: str) -> None:
    """Count one file (or album) that could not be read, keeping the first FAILURES_KEPT reasons."""
    scan.files_failed += 1
    if len(scan.failures) < FAILURES_KEPT:
        scan.failures = [*scan.failures, {"path": path, "reason": reason}]


def _scan_one(scan: LibraryScan, root: Path, found: FoundFile) -> tuple[str, int | None, int]:
    """Catalogue one file in its own transaction: (outcome, media file id, documents changed)."""
    existing = MediaFile.objects.filter(source_id=scan.source_id, path=found.path).first()
    if (
        existing is not None
        and existing.removed_at is None
        and existing.size == found.size
        and existing.mtime == found.mtime
    ):
        scan.files_unchanged += 1
        return "unchanged", existing.pk, 0
    absolute = root / found.path
    try:
        tags = read_audio_file(absolute, found.path)
        digest = content_hash(absolute)
        with transaction.atomic():
            media_file, created, changed = _media_file_write(scan, root, found, tags, digest, existing)
    except UnreadableFile as exc:
        library_scan_failure_add(scan, found.path, str(exc))
        return "failed", None, 0
    except OSError as exc:
        library_scan_failure_add(scan, found.path, f"cannot be read: {exc.strerror or exc}")
        return "failed", None, 0
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        # One file never stops the scan; the log keeps the traceback.
        logger.exception("Library scan %s: %s failed", scan.pk, found.path)
        library_scan_failure_add(
            scan, found.path, f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        )
        return "failed", None, 0
    if created:
        scan.files_new += 1
        return "new", media_file.pk, changed
    scan.files_changed += 1  # a moved file counts as changed: same row and track, new path
    return "changed", media_file.pk, changed


def _media_file_write(
    scan: LibraryScan,
    root: Path,
    found: FoundFile,
    tags: FileTags,
    digest: str,
    existing: MediaFile | None,
) -> tuple[MediaFile, bool, int]:
    """Write the file's row and its track: (media file, created, documents changed)."""
    media_file = existing or _moved_file(scan, root, tags, digest)
    if media_file is not None:
        track = media_file.track
        content_changed = media_file.content_hash != digest
    else:
        track = track_for_file(tags, digest)
        media_file = MediaFile(source_id=scan.source_id, track=track)
        content_changed = True
    track_update_from_tags(track, tags)
    media_file.path = found.path
    media_file.size = found.size
    media_file.mtime = found.mtime
    media_file.content_hash = digest
    media_file.audio_format = tags.audio_format
    media_file.content_type = tags.content_type
    media_file.duration_ms = tags.duration_ms
    media_file.bitrate = tags.bitrate
    media_file.sample_rate = tags.sample_rate
    media_file.tagged_from_path = tags.tagged_from_path
    media_file.musicbrainz_release_id = tags.musicbrainz_release_id
    media_file.musicbrainz_artist_ids = list(tags.musicbrainz_artist_ids)
    media_file.album_artist = tags.album_artist
    media_file.track_number = tags.track_number
    media_file.disc_number = tags.disc_number
    media_file.replaygain_track_gain = tags.replaygain_track_gain
    media_file.replaygain_album_gain = tags.replaygain_album_gain
    media_file.cover = tags.cover
    media_file.removed_at = None
    media_file.last_seen_scan = scan.pk
    if content_changed:
        media_file.analysed_at = None
        media_file.analysis_error = ""
    created = media_file.pk is None
    media_file.save()
    return media_file, created, track_documents_refresh(track_ids=[track.pk])


def _moved_file(scan: LibraryScan, root: Path, tags: FileTags, digest: str) -> MediaFile | None:
    """A file of this source whose old path is gone and that has this content or recording."""
    same = Q(content_hash=digest)
    if tags.musicbrainz_recording_id is not None:
        same |= Q(track__musicbrainz_recording_id=tags.musicbrainz_recording_id)
    candidates = (
        MediaFile.objects.filter(source_id=scan.source_id)
        .filter(same)
        .select_related("track")
        .order_by("removed_at", "pk")  # live rows first: a move is usually found before the removal
    )
    for candidate in candidates[:20]:
        if candidate.removed_at is not None or not (root / candidate.path).exists():
            return candidate
    return None


def _mark_removed(scan: LibraryScan, *, start_after: str) -> int:
    """Files of this source the scan did not find (after its start path) are marked removed."""
    missing = MediaFile.objects.filter(source_id=scan.source_id, removed_at__isnull=True).exclude(
        last_seen_scan=scan.pk
    )
    if start_after:
        missing = missing.filter(path__gt=start_after)
    return missing.update(removed_at=timezone.now())
