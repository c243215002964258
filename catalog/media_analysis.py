"""Audio analysis of library files: queueing the unanalysed files, analysing one, and storing its
measured features on its track (or its failure)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.embedding_services import embedding_queue
from catalog.features import AUDIO_FEATURE_RANGES
from catalog.models import (
    LIBRARY_TRACK_SOURCE,
    LibrarySourceKind,
    MediaFile,
    Track,
)
from catalog.services import track_documents_refresh
from config.errors import ApplicationError

if TYPE_CHECKING:
    from catalog.audio.analysis import AudioAnalysis

logger = logging.getLogger(__name__)


# --- analysis --------------------------------------------------------------------------------


def media_files_analysis_queue(*, source_id: int | None = None) -> int:
    """Queue analysis of every live, unanalysed file (of one source), in batches; returns the count."""
    from catalog.tasks import analyse_media_files

    pending = MediaFile.objects.filter(
        removed_at__isnull=True,
        analysed_at__isnull=True,
        analysis_error="",
        source__kind=LibrarySourceKind.FOLDER,
    )
    if source_id is not None:
        pending = pending.filter(source_id=source_id)
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    batch = settings.LIBRARY_ANALYSIS_BATCH_SIZE
    for start in range(0, len(ids), batch):
        analyse_media_files.delay_on_commit(media_file_ids=ids[start : start + batch])  # type: ignore[attr-defined]
    return len(ids)


def media_file_path(media_file: MediaFile) -> Path:
    """The file's absolute path; ApplicationError if it would leave its library's root."""
    root = Path(media_file.source.root).resolve()
    path = (root / media_file.path).resolve()
    if root not in path.parents:
        raise ApplicationError("This file is outside its library.")
    return path


def media_file_analyse(*, media_file_id: int, excerpt_seconds: float | None = None) -> MediaFile | None:
    """Analyse one file's audio and store the result (or the reason it failed).

    Idempotent: the file is claimed with a conditional UPDATE (still unanalysed, no error, not
    removed) that marks it ANALYSIS_INTERRUPTED until the result is stored. A file already
    analysed, failed or claimed is left alone (returns None); a file whose worker died or ran out
    of time while decoding keeps that mark and is not tried again by a redelivered task.
    Not atomic on purpose: no transaction stays open while the audio is decoded.
    """
    # Imported here so the web process never loads librosa; only the analysis worker does.
    from catalog.audio.analysis import analyse_file

    claimed = MediaFile.objects.filter(
        pk=media_file_id,
        analysed_at__isnull=True,
        analysis_error="",
        removed_at__isnull=True,
        source__kind=LibrarySourceKind.FOLDER,  # Subsonic songs: catalog.subsonic_services
    ).update(analysis_error=ANALYSIS_INTERRUPTED)
    if claimed != 1:
        return None
    media_file = MediaFile.objects.select_related("source").get(pk=media_file_id)
    return media_file_analysis_record(
        media_file_id=media_file_id,
        analyse=lambda: analyse_file(
            media_file_path(media_file),
            excerpt_seconds=excerpt_seconds or settings.LIBRARY_ANALYSIS_EXCERPT_SECONDS,
        ),
    )


def media_file_analysis_record(*, media_file_id: int, analyse: Callable[[], AudioAnalysis]) -> MediaFile:
    """Run ``analyse`` for a claimed media file and store what it found, or why it failed.

    A decoder's surprise on one file must not stop the batch: any error becomes the file's
    reason (the log keeps the traceback); only the task's time limit goes through.
    """
    from catalog.audio.analysis import AnalysisError

    try:
        analysis = analyse()
    except (AnalysisError, ApplicationError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "message", None) or str(exc)
        return media_file_analysis_fail(media_file_id=media_file_id, reason=reason or type(exc).__name__)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        logger.exception("Analysis of media file %s failed", media_file_id)
        return media_file_analysis_fail(
            media_file_id=media_file_id, reason=f"internal error: {type(exc).__name__}: {exc}"
        )
    return media_file_analysis_store(media_file_id=media_file_id, analysis=analysis)


@transaction.atomic
def media_file_analysis_fail(*, media_file_id: int, reason: str) -> MediaFile:
    media_file = MediaFile.objects.select_for_update().get(pk=media_file_id)
    media_file.analysis_error = reason[:1000] or "analysis failed"
    media_file.save(update_fields=["analysis_error", "updated_at"])
    return media_file


ANALYSIS_INTERRUPTED = "Analysis did not finish (the worker was lost or ran out of time)."

# Features the analysis measures, by AudioAnalysis attribute == Track field.
ANALYSED_FEATURES = ("tempo", "key", "mode", "energy", "danceability")


@transaction.atomic
def media_file_analysis_store(*, media_file_id: int, analysis: AudioAnalysis) -> MediaFile:
    """Store an analysis on the file and its track.

    The rule: measurements that only analysis makes (sound vector, integrated loudness in LUFS,
    dynamic range) are always written. Features a catalog file may also carry (tempo, key, mode,
    energy, danceability, Spotify-style loudness, duration) fill a NULL only, so an imported
    catalog's values are never overwritten; a track made from the library (source="library") has
    no other origin for them, so its features always follow the latest analysis. A value the
    analysis could not estimate (None) or one outside the feature's range is never written.
    """
    media_file = MediaFile.objects.select_for_update().select_related("track").get(pk=media_file_id)
    track = Track.objects.select_for_update().get(pk=media_file.track_id)
    owned = track.source == LIBRARY_TRACK_SOURCE
    changed: list[str] = []

    def put(field: str, value: object, *, only_if_null: bool) -> None:
        if value is None:
            return
        if field in AUDIO_FEATURE_RANGES:
            low, high = AUDIO_FEATURE_RANGES[field]
            if not low <= float(value) <= high:  # type: ignore[arg-type]
                return
        if only_if_null and getattr(track, field) is not None:
            return
        setattr(track, field, value)
        changed.append(field)

    for feature in ANALYSED_FEATURES:
        value = getattr(analysis, feature)
        if value is not None and feature in ("key", "mode"):
            value = int(value)
        elif value is not None:
            value = float(value)
        put(feature, value, only_if_null=not owned)
    lufs = None if analysis.loudness_lufs is None else float(analysis.loudness_lufs)
    put("loudness", lufs, only_if_null=not owned)
    put("duration_ms", analysis.duration_ms, only_if_null=True)
    put("loudness_lufs", lufs, only_if_null=False)
    put(
        "dynamic_range",
        None if analysis.dynamic_range is None else float(analysis.dynamic_range),
        only_if_null=False,
    )
    if analysis.sound_vector is not None:
        track.sound_vector = [float(value) for value in analysis.sound_vector]
        changed.append("sound_vector")
    if changed:
        track.save(update_fields=[*changed, "updated_at"])
    media_file.analysed_at = timezone.now()
    media_file.analysis_error = ""
    media_file.save(update_fields=["analysed_at", "analysis_error", "updated_at"])
    # Features are part of the text the embedding is made from.
    if track_documents_refresh(track_ids=[track.pk]):
        embedding_queue()
    return media_file
