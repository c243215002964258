"""Every write to the catalog from a catalog file: parsing, batching and upserting tracks, artists
and tags, and their search documents (import jobs: catalog.import_jobs; embeddings:
catalog.embedding_services)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.functions import Lower

from catalog import importing
from catalog.documents import track_document
from catalog.embedding_services import embedding_queue
from catalog.features import AUDIO_FEATURES
from catalog.importing import ImportFileError, ImportSpec, TrackRecord
from catalog.models import Artist, Tag, Track, TrackArtist, TrackTag
from config.errors import ApplicationError

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
