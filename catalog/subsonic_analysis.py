"""Analysing Subsonic songs through the server: each song is streamed to a temporary file, analysed
like a folder file, and deleted; a few analysis slots and a polite pause keep the server usable.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

from catalog.media_analysis import media_file_analysis_fail, media_file_analysis_record
from catalog.models import LibrarySourceKind, MediaFile, SubsonicAccount
from catalog.subsonic.client import SubsonicError
from catalog.subsonic_connect import account_client
from config.errors import ApplicationError

if TYPE_CHECKING:
    from catalog.audio.analysis import AudioAnalysis

logger = logging.getLogger(__name__)


def subsonic_files_analysis_queue(*, source_id: int) -> int:
    from catalog.tasks import analyse_subsonic_files

    pending = MediaFile.objects.filter(
        source_id=source_id, removed_at__isnull=True, analysed_at__isnull=True, analysis_error=""
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    batch = settings.LIBRARY_ANALYSIS_BATCH_SIZE
    for start in range(0, len(ids), batch):
        analyse_subsonic_files.delay_on_commit(media_file_ids=ids[start : start + batch])  # type: ignore[attr-defined]
    return len(ids)


_last_request_at = 0.0


# An advisory-lock namespace: at most SUBSONIC_ANALYSIS_CONCURRENCY downloads run at once, across
# every worker process sharing the database.
_ANALYSIS_LOCK_NAMESPACE = 0x5E605


def _polite_wait() -> None:
    """At most SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND stream requests a second from this process."""
    global _last_request_at
    interval = 1.0 / settings.SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND
    wait = _last_request_at + interval - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_request_at = time.monotonic()


def _slot_acquire(timeout_seconds: float = 600.0) -> int | None:
    slots = max(1, settings.SUBSONIC_ANALYSIS_CONCURRENCY)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            for slot in range(slots):
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ANALYSIS_LOCK_NAMESPACE, slot])
                if cursor.fetchone()[0]:
                    return slot
        time.sleep(0.2)
    return None


def _slot_release(slot: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ANALYSIS_LOCK_NAMESPACE, slot])


def subsonic_file_analyse(*, media_file_id: int) -> MediaFile | None:
    """Analyse one song from a bounded excerpt of the server's stream (an HTTP Range from the start).

    Idempotent like ``catalog.media_analysis.media_file_analyse``: a claimed, analysed or failed file is
    left alone (None). Not atomic: no transaction stays open while downloading or decoding.
    """
    from catalog.media_analysis import ANALYSIS_INTERRUPTED

    claimed = MediaFile.objects.filter(
        pk=media_file_id,
        analysed_at__isnull=True,
        analysis_error="",
        removed_at__isnull=True,
        source__kind=LibrarySourceKind.SUBSONIC,
    ).update(analysis_error=ANALYSIS_INTERRUPTED)
    if claimed != 1:
        return None
    media_file = MediaFile.objects.select_related("source").get(pk=media_file_id)
    account = SubsonicAccount.objects.select_related("source").get(source_id=media_file.source_id)
    slot = _slot_acquire()
    if slot is None:
        MediaFile.objects.filter(pk=media_file_id).update(analysis_error="")
        return None
    try:
        _polite_wait()
        with account_client(account) as client:
            audio, _ = client.stream_excerpt(
                media_file.path, max_bytes=settings.SUBSONIC_ANALYSIS_EXCERPT_BYTES
            )
    except SubsonicError as exc:
        # The server may be back later: the file is released for the next analysis run.
        MediaFile.objects.filter(pk=media_file_id).update(analysis_error="")
        logger.warning("Subsonic analysis of media file %s: %s", media_file_id, exc.message)
        return None
    except ApplicationError as exc:
        return media_file_analysis_fail(media_file_id=media_file_id, reason=exc.message)
    finally:
        _slot_release(slot)
    suffix = "." + (media_file.audio_format or "mp3")
    return media_file_analysis_record(
        media_file_id=media_file_id, analyse=lambda: _excerpt_analyse(audio, suffix=suffix)
    )


def _excerpt_analyse(audio: bytes, *, suffix: str) -> AudioAnalysis:
    from catalog.audio.analysis import analyse_file  # librosa: analysis worker only

    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(audio)
        handle.flush()
        return analyse_file(Path(handle.name), excerpt_seconds=settings.LIBRARY_ANALYSIS_EXCERPT_SECONDS)
