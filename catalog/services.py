"""Every write to the catalog: imports, import jobs and embeddings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from catalog import importing
from catalog.documents import track_document
from catalog.features import AUDIO_FEATURES
from catalog.importing import ImportFileError, ImportSpec, TrackRecord
from catalog.models import Artist, CatalogImport, JobStatus, Tag, Track, TrackArtist, TrackTag
from catalog.vector_index import vector_index_ensure, vector_index_suspended
from config.errors import ApplicationError
from config.jobs import LOST_WORKER_MESSAGE, job_heartbeat, jobs_sweep_stale

logger = logging.getLogger(__name__)

IMPORT_BATCH_SIZE = 1000
SKIPPED_ROWS_KEPT = 200


@dataclass(frozen=True)
class SkippedRow:
    line_number: int
    reason: str


@dataclass
class ImportSummary:
    rows_read: int = 0
    tracks_created: int = 0
    tracks_updated: int = 0
    rows_merged: int = 0
    rows_skipped: int = 0
    documents_changed: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)

    def skip(self, line_number: int, reason: str) -> None:
        self.rows_skipped += 1
        if len(self.skipped) < SKIPPED_ROWS_KEPT:
            self.skipped.append(SkippedRow(line_number, reason))


@dataclass(frozen=True)
class ImportProgress:
    bytes_read: int
    bytes_total: int
    summary: ImportSummary


class ImportRefused(ApplicationError):
    """A --strict import met bad rows; nothing was written."""


ProgressCallback = Callable[[ImportProgress], None]


# --- importing files -----------------------------------------------------------------------


def catalog_import_path(
    *,
    path: Path,
    spec: ImportSpec,
    strict: bool = False,
    batch_size: int = IMPORT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import a catalog file from disk; see ``catalog_import_stream``."""
    if not path.is_file():
        raise ImportFileError(f"No such file: {path}", exit_code=2)
    with open(path, "rb") as binary:
        return catalog_import_stream(
            binary=binary,
            name=path.name,
            bytes_total=path.stat().st_size,
            spec=spec,
            strict=strict,
            batch_size=batch_size,
            on_progress=on_progress,
        )


def catalog_import_stream(
    *,
    binary: IO[bytes],
    name: str,
    bytes_total: int,
    spec: ImportSpec,
    strict: bool = False,
    batch_size: int = IMPORT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Stream a CSV/JSONL file (optionally gzipped) into the catalog in batches.

    Rows of one track (same source id) merge, tags united; re-importing upserts by source id.
    Without ``strict`` each batch commits on its own and bad rows are skipped and reported
    by line; with ``strict`` the whole file is one transaction and any bad row refuses it.
    Whole-file problems raise ImportFileError with nothing written.
    """
    if bytes_total == 0:
        raise ImportFileError("The file is empty.")
    counting = importing.CountingReader(binary)
    text = importing.open_text(counting, name, compressed_bytes=bytes_total)  # type: ignore[arg-type]
    parsed = importing.read_records(text, spec)

    def report(summary: ImportSummary) -> None:
        if on_progress is not None:
            on_progress(ImportProgress(counting.bytes_read, bytes_total, summary))

    if strict:
        with transaction.atomic():
            summary = _import_rows(parsed, spec=spec, batch_size=batch_size, strict=True, report=report)
            if summary.rows_skipped:
                transaction.set_rollback(True)
        if summary.rows_skipped:
            first = summary.skipped[0]
            raise ImportRefused(
                f"Import refused (--strict): {summary.rows_skipped} bad row(s), "
                f"first at line {first.line_number}: {first.reason}. Nothing was written.",
                extra={"skipped": [row.__dict__ for row in summary.skipped]},
            )
        return summary
    return _import_rows(parsed, spec=spec, batch_size=batch_size, strict=False, report=report)


def catalog_import_records(
    *, records: Iterable[TrackRecord], source: str, batch_size: int = IMPORT_BATCH_SIZE
) -> ImportSummary:
    """Import already-validated records (e.g. the demo catalog), batch by batch."""
    spec = ImportSpec(file_format="jsonl", source=source)
    parsed = (importing.ParsedRow(line_number=record.line_number, record=record) for record in records)
    return _import_rows(parsed, spec=spec, batch_size=batch_size, strict=False, report=lambda summary: None)


def catalog_demo_load(*, count: int = 3000, seed: int = 7) -> ImportSummary:
    """Load the generated demo catalog (see ``catalog.demo``) and queue its embedding."""
    from catalog import demo

    spec = ImportSpec(file_format="jsonl", source=demo.DEMO_SOURCE)
    columns = {name: name for name in importing.CANONICAL_FIELDS}
    records = (
        importing.parse_row(row, line_number=number, columns=columns, spec=spec)
        for number, row in enumerate(demo.generate_demo_rows(count, seed=seed), start=1)
    )
    with transaction.atomic():
        summary = catalog_import_records(records=records, source=demo.DEMO_SOURCE)
        embedding_queue()
    return summary


def _import_rows(
    parsed: Iterable[importing.ParsedRow],
    *,
    spec: ImportSpec,
    batch_size: int,
    strict: bool,
    report: Callable[[ImportSummary], None],
) -> ImportSummary:
    summary = ImportSummary()
    seen_in_this_import: set[str] = set()
    for batch in _batches(parsed, batch_size):
        records: dict[str, TrackRecord] = {}
        for row in batch:
            summary.rows_read += 1
            if row.record is None:
                summary.skip(row.line_number, row.error)
                continue
            record = row.record
            if record.source_id in records:
                records[record.source_id].merge(record)
                summary.rows_merged += 1
            elif record.source_id in seen_in_this_import:
                summary.rows_merged += 1
                records[record.source_id] = record
            else:
                records[record.source_id] = record
        if records and not (strict and summary.rows_skipped):
            _write_batch_or_rows(
                list(records.values()),
                source=spec.source,
                summary=summary,
                strict=strict,
                seen_in_this_import=seen_in_this_import,
            )
        report(summary)
    return summary


def _batches(rows: Iterable[importing.ParsedRow], size: int) -> Iterator[list[importing.ParsedRow]]:
    batch: list[importing.ParsedRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_batch_or_rows(
    records: list[TrackRecord],
    *,
    source: str,
    summary: ImportSummary,
    strict: bool,
    seen_in_this_import: set[str],
) -> None:
    """Write a batch in one transaction; if the database refuses it, find the bad rows one by one.

    Counts reach the summary only once a transaction has committed, so a refused batch that
    is retried row by row is not counted twice.
    """
    try:
        with transaction.atomic():
            written = _write_batch(records, source=source)
        _count_written(written, summary=summary, seen_in_this_import=seen_in_this_import)
        return
    except (IntegrityError, DatabaseError) as exc:
        if strict:
            raise ImportRefused(f"Import refused (--strict): the database rejected a batch: {exc}") from exc
        logger.warning("Batch rejected by the database (%s); retrying row by row", exc)
    for record in records:
        try:
            with transaction.atomic():
                written = _write_batch([record], source=source)
        except (IntegrityError, DatabaseError) as exc:
            summary.skip(record.line_number, f"rejected by the database: {str(exc).splitlines()[0]}")
        else:
            _count_written(written, summary=summary, seen_in_this_import=seen_in_this_import)


@dataclass(frozen=True)
class _WrittenBatch:
    created_by_source_id: dict[str, bool]
    documents_changed: int


def _count_written(written: _WrittenBatch, *, summary: ImportSummary, seen_in_this_import: set[str]) -> None:
    for source_id, created in written.created_by_source_id.items():
        if created:
            summary.tracks_created += 1
        elif source_id not in seen_in_this_import:
            summary.tracks_updated += 1
        seen_in_this_import.add(source_id)
    summary.documents_changed += written.documents_changed


def _write_batch(records: list[TrackRecord], *, source: str) -> _WrittenBatch:
    artist_ids = _artist_ids_ensure({name for record in records for name in record.artists})
    tag_ids = _tag_ids_ensure({tag for record in records for tag in record.tags})
    upserted = _tracks_upsert(records, source=source)

    track_ids = [upserted[record.source_id][0] for record in records]
    TrackArtist.objects.filter(track_id__in=track_ids).delete()
    artist_links = [
        (track_id, artist_ids[name.lower()], position)
        for track_id, record in zip(track_ids, records, strict=True)
        for position, name in enumerate(record.artists)
    ]
    tag_links = [
        (track_id, tag_ids[tag])
        for track_id, record in zip(track_ids, records, strict=True)
        for tag in record.tags
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_trackartist (track_id, artist_id, position) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[])",
            [list(column) for column in zip(*artist_links, strict=True)] if artist_links else [[], [], []],
        )
        if tag_links:
            cursor.execute(
                "INSERT INTO catalog_tracktag (track_id, tag_id) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*tag_links, strict=True)],
            )
    return _WrittenBatch(
        created_by_source_id={source_id: created for source_id, (_, created) in upserted.items()},
        documents_changed=track_documents_refresh(track_ids=track_ids),
    )


# Column name -> PostgreSQL array type, for the set-based upsert below.
_UPSERT_COLUMNS: dict[str, str] = {
    "source_id": "text[]",
    "isrc": "text[]",
    "musicbrainz_recording_id": "uuid[]",
    "spotify_uri": "text[]",
    "title": "text[]",
    "album": "text[]",
    "release_year": "smallint[]",
    "duration_ms": "integer[]",
    "popularity": "smallint[]",
    "explicit": "boolean[]",
    "audio_url": "text[]",
    **{name: ("smallint[]" if name in ("key", "mode") else "double precision[]") for name in AUDIO_FEATURES},
}


def _tracks_upsert(records: list[TrackRecord], *, source: str) -> dict[str, tuple[int, bool]]:
    """Insert or update tracks by (source, source_id); returns {source_id: (id, created)}.

    Written as one INSERT … SELECT FROM unnest(arrays): one parameter per column instead of
    one per cell makes it several times faster than bulk_create on large imports.
    """
    columns = list(_UPSERT_COLUMNS)
    arrays = [[_record_value(record, column) for record in records] for column in columns]
    unnest = ", ".join(f"%s::{array_type}" for array_type in _UPSERT_COLUMNS.values())
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column != "source_id")
    sql = (
        f"INSERT INTO catalog_track (source, {', '.join(columns)}, document, created_at, updated_at) "
        f"SELECT %s, u.*, '', now(), now() FROM unnest({unnest}) AS u "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates}, updated_at = now() "
        "RETURNING id, source_id, (xmax = 0) AS created"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source, *arrays])
        return {source_id: (pk, created) for pk, source_id, created in cursor.fetchall()}


def _record_value(record: TrackRecord, column: str) -> object:
    if column in record.features:
        return record.features[column]
    return getattr(record, column)


def _artist_ids_ensure(names: set[str]) -> dict[str, int]:
    by_lower: dict[str, str] = {}
    for name in sorted(names):
        by_lower.setdefault(name.lower(), name)
    Artist.objects.bulk_create([Artist(name=name) for name in by_lower.values()], ignore_conflicts=True)
    rows = Artist.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=list(by_lower))
    return {lower: pk for pk, lower in rows.values_list("pk", "lower_name")}


def _tag_ids_ensure(tags: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not tags:
        return {}
    Tag.objects.bulk_create([Tag(kind=kind, name=name) for kind, name in tags], ignore_conflicts=True)
    names = {name for _, name in tags}
    rows = Tag.objects.filter(name__in=names).values_list("pk", "kind", "name")
    return {(kind, name): pk for pk, kind, name in rows if (kind, name) in tags}


def _track_from_record(record: TrackRecord, *, source: str) -> Track:
    return Track(
        source=source,
        source_id=record.source_id,
        isrc=record.isrc,
        musicbrainz_recording_id=record.musicbrainz_recording_id,
        spotify_uri=record.spotify_uri,
        title=record.title,
        album=record.album,
        release_year=record.release_year,
        duration_ms=record.duration_ms,
        popularity=record.popularity,
        explicit=record.explicit,
        audio_url=record.audio_url,
        **{name: record.features.get(name) for name in AUDIO_FEATURES},
    )


def track_documents_refresh(*, track_ids: list[int]) -> int:
    """Rebuild the embedding documents of these tracks; a changed document clears its embedding.

    Returns how many documents changed (and so need embedding).
    """
    tracks = Track.objects.filter(pk__in=track_ids).only(
        "pk", "title", "album", "release_year", "document", *AUDIO_FEATURES
    )
    artists: dict[int, list[str]] = {}
    for track_id, name in (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .order_by("position")
        .values_list("track_id", "artist__name")
    ):
        artists.setdefault(track_id, []).append(name)
    tags: dict[int, list[str]] = {}
    for track_id, name in TrackTag.objects.filter(track_id__in=track_ids).values_list(
        "track_id", "tag__name"
    ):
        tags.setdefault(track_id, []).append(name)

    changed = []
    for track in tracks:
        document = track_document(
            title=track.title,
            artists=artists.get(track.pk, []),
            album=track.album,
            tags=tags.get(track.pk, []),
            release_year=track.release_year,
            features={name: getattr(track, name) for name in AUDIO_FEATURES},
        )
        if document != track.document:
            track.document = document
            track.embedding = None
            changed.append(track)
    if changed:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE catalog_track AS t SET document = v.document, embedding = NULL "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, document) WHERE t.id = v.id",
                [[track.pk for track in changed], [track.document for track in changed]],
            )
    return len(changed)


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
    job_heartbeat(CATALOG_IMPORT_JOB, import_id)
    claimed = CatalogImport.objects.filter(pk=import_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
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
        job_heartbeat(CATALOG_IMPORT_JOB, import_id)

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


def _import_job_record(job: CatalogImport, summary: ImportSummary, *, bytes_read: int) -> None:
    job.bytes_read = bytes_read
    job.rows_read = summary.rows_read
    job.tracks_created = summary.tracks_created
    job.tracks_updated = summary.tracks_updated
    job.rows_skipped = summary.rows_skipped
    job.skipped_rows = [{"line": row.line_number, "reason": row.reason} for row in summary.skipped]
    job.save(
        update_fields=[
            "bytes_read",
            "rows_read",
            "tracks_created",
            "tracks_updated",
            "rows_skipped",
            "skipped_rows",
        ]
    )


def _import_job_finish(job: CatalogImport, *, status: str, error: str = "") -> None:
    """Record the outcome and delete the uploaded file: the tracks are in the catalog (or the job
    failed and a new upload is needed), and a catalog dump left on disk only takes space."""
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    if job.file:
        job.file.delete(save=False)
    job.save(update_fields=["status", "error", "finished_at", "file"])


CATALOG_IMPORT_JOB = "catalog_import"  # its heartbeat kind (config.jobs)


def catalog_imports_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the running imports whose worker was lost (no heartbeat for ``stale_after``) and
    delete their uploads. Rows already imported stay (an import upserts by source id), so uploading
    the file again is the retry."""

    def fail(job: CatalogImport) -> None:
        if job.file:
            job.file.delete(save=False)
        job.status = JobStatus.FAILED
        job.error = (
            f"{LOST_WORKER_MESSAGE} {job.rows_read:,} rows were read before it stopped. Upload the file "
            "again to retry: tracks already imported are updated, not duplicated."
        )
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "status", "error", "finished_at"])

    return jobs_sweep_stale(
        kind=CATALOG_IMPORT_JOB,
        unfinished=CatalogImport.objects.filter(status=JobStatus.RUNNING),
        started_field="started_at",
        stale_after=stale_after,
        fail=fail,
    )


# --- embeddings --------------------------------------------------------------------------------


def embedding_queue() -> None:
    """Ask the worker to embed every track that has no embedding yet (on commit)."""
    from catalog.tasks import embed_pending_tracks

    embed_pending_tracks.delay_on_commit()  # type: ignore[attr-defined]


Encoder = Callable[[list[str]], np.ndarray]


def _default_encoder() -> Encoder:
    from catalog.embeddings import encode_documents

    return encode_documents


@transaction.atomic
def track_embed_pending(*, limit: int, encode: Encoder | None = None) -> int:
    """Embed up to ``limit`` tracks that have none; returns how many were embedded.

    Rows are locked with SKIP LOCKED, so several workers (or a worker and the command) can
    run this at once without embedding a track twice; a crash leaves rows pending, never
    half-written.
    """
    encode = encode or _default_encoder()
    pending = list(
        Track.objects.filter(embedding__isnull=True)
        .order_by("pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", "document")[:limit]
    )
    if not pending:
        return 0
    track_ids = [pk for pk, _ in pending]
    documents = [document for _, document in pending]
    return _embeddings_write(track_ids, documents, encode(documents))


def catalog_embed_all(
    *,
    batch_size: int,
    encode: Encoder | None = None,
    on_progress: Callable[[int], object] | None = None,
    rebuild_index: bool | None = None,
) -> int:
    """Embed every pending track; returns how many were embedded (resumable, idempotent).

    For bulk runs (``embed_catalog``): the next batch is encoded while the previous one is
    written by a second thread with its own database connection, so index maintenance
    overlaps the model's work. Rows are not locked; a write fills only rows still pending
    whose document is unchanged, so a concurrent worker or re-import never gets a stale or
    doubled vector. Documents changed mid-run are picked up by another pass.

    When most of the catalog is pending (``rebuild_index`` None decides by
    ``EMBED_REBUILD_INDEX_MIN_PENDING``/``_SHARE``), the HNSW index is dropped for the run and
    built once at the end, which is several times cheaper than growing it row by row.
    """
    encode = encode or _default_encoder()
    vector_index_ensure()
    if rebuild_index is None:
        rebuild_index = _most_of_catalog_pending()
    with vector_index_suspended() if rebuild_index else nullcontext():
        return _embed_passes(batch_size=batch_size, encode=encode, on_progress=on_progress)


def _most_of_catalog_pending() -> bool:
    pending = Track.objects.filter(embedding__isnull=True).count()
    total = Track.objects.count()
    return (
        pending >= settings.EMBED_REBUILD_INDEX_MIN_PENDING
        and pending >= settings.EMBED_REBUILD_INDEX_MIN_SHARE * total
    )


def _embed_passes(*, batch_size: int, encode: Encoder, on_progress: Callable[[int], object] | None) -> int:
    total = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding-writer") as writer:
        while True:
            embedded_this_pass = _embed_pass(
                writer, batch_size=batch_size, encode=encode, on_progress=on_progress
            )
            total += embedded_this_pass
            if not embedded_this_pass:
                break
        # The writer thread's own connection, closed from that thread.
        writer.submit(lambda: connection.close()).result()
    return total


def _embed_pass(
    writer: ThreadPoolExecutor,
    *,
    batch_size: int,
    encode: Encoder,
    on_progress: Callable[[int], object] | None,
) -> int:
    embedded = 0
    in_flight: Future[int] | None = None
    after_pk = 0
    while True:
        pending = list(
            Track.objects.filter(embedding__isnull=True, pk__gt=after_pk)
            .order_by("pk")
            .values_list("pk", "document")[:batch_size]
        )
        if not pending:
            break
        track_ids = [pk for pk, _ in pending]
        documents = [document for _, document in pending]
        vectors = encode(documents)
        if in_flight is not None:
            embedded += _written(in_flight, on_progress)
        in_flight = writer.submit(_embeddings_write, track_ids, documents, vectors)
        after_pk = track_ids[-1]
    if in_flight is not None:
        embedded += _written(in_flight, on_progress)
    return embedded


def _written(write: Future[int], on_progress: Callable[[int], object] | None) -> int:
    count = write.result()
    if on_progress is not None:
        on_progress(count)
    return count


def _embeddings_write(track_ids: list[int], documents: list[str], vectors: np.ndarray) -> int:
    """Store vectors for tracks still pending with the same document; returns rows written."""
    as_text = ["[" + ",".join(f"{value:.6g}" for value in vector) + "]" for vector in vectors.tolist()]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_track AS t SET embedding = v.embedding::vector "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, document, embedding) "
            "WHERE t.id = v.id AND t.embedding IS NULL AND t.document = v.document",
            [track_ids, documents, as_text],
        )
        return cursor.rowcount
