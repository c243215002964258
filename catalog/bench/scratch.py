"""The benchmark's scratch catalog in PostgreSQL: read back as arrays, grown by binary COPY.

Offline only (``manage.py bench_catalog``): nothing on the request path imports it.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.management.base import CommandError
from django.db import connection
from tqdm import tqdm

from catalog.features import EMBEDDING_DIMENSIONS
from catalog.models import Track, TrackTag
from catalog.vector_index import vector_index_build

JITTER_SOURCE = "bench-jitter"

# Binary COPY framing (PostgreSQL docs, "COPY ... Binary Format").
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = COPY_SIGNATURE + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


@dataclass
class Catalog:
    """Every row of the scratch catalog as the benchmark knows it, in insertion order.

    ``source_row[i]`` is the real row that row i is (a jittered copy of); a real row is its own
    source. Filter masks of copies are their source's.
    """

    ids: np.ndarray
    vectors: np.ndarray
    source_row: np.ndarray
    real_count: int
    tag_names: list[frozenset[str]]
    tag_ids: list[list[int]]
    years: np.ndarray
    features: dict[str, np.ndarray]
    copy_blobs: list[bytes]
    copy_columns: list[str]

    @property
    def size(self) -> int:
        return len(self.ids)


def catalog_read() -> Catalog:
    """Read back the imported rows: ids, exact float32 vectors, filter attributes, copy blobs."""
    copy_columns = [
        column.column
        for column in Track._meta.concrete_fields
        if column.column not in ("id", "source", "source_id", "embedding")
    ]
    sql = (
        f"COPY (SELECT id, embedding, {', '.join(copy_columns)} FROM catalog_track "
        "WHERE embedding IS NOT NULL ORDER BY id) TO STDOUT (FORMAT BINARY)"
    )
    ids, vectors, blobs = [], [], []
    for fields, rest in copy_out_binary(sql, leading_fields=2):
        ids.append(struct.unpack(">q", fields[0])[0])
        vectors.append(np.frombuffer(fields[1], dtype=">f4", offset=4))
        blobs.append(rest)
    ids_array = np.asarray(ids, dtype=np.int64)
    row_of = {track_id: row for row, track_id in enumerate(ids)}

    tag_names: list[set[str]] = [set() for _ in ids]
    tag_ids: list[list[int]] = [[] for _ in ids]
    for track_id, tag_id, name in TrackTag.objects.values_list("track_id", "tag_id", "tag__name"):
        if track_id in row_of:
            tag_names[row_of[track_id]].add(name)
            tag_ids[row_of[track_id]].append(tag_id)
    attributes = {
        pk: (year, energy) for pk, year, energy in Track.objects.values_list("pk", "release_year", "energy")
    }
    years = np.array([_float(attributes[pk][0]) for pk in ids], dtype=np.float64)
    energy = np.array([_float(attributes[pk][1]) for pk in ids], dtype=np.float64)
    return Catalog(
        ids=ids_array,
        vectors=np.asarray(vectors, dtype=np.float32).reshape(len(ids), EMBEDDING_DIMENSIONS),
        source_row=np.arange(len(ids)),
        real_count=len(ids),
        tag_names=[frozenset(names) for names in tag_names],
        tag_ids=tag_ids,
        years=years,
        features={"energy": energy},
        copy_blobs=blobs,
        copy_columns=copy_columns,
    )


def copy_tracks(
    catalog: Catalog, ids: np.ndarray, vectors: np.ndarray, sources: np.ndarray, *, progress: Any
) -> None:
    """Binary COPY: each row is a copy of its source row's bytes with a new id, source id and vector.

    The copied columns were read with COPY ... TO (FORMAT BINARY), so PostgreSQL encoded
    them itself and they go back in byte for byte.
    """
    columns = ["id", "source", "source_id", *catalog.copy_columns, "embedding"]
    field_count = struct.pack(">h", len(columns))
    source_field = binary_field(JITTER_SOURCE.encode())
    vector_header = struct.pack(">iHH", 4 + 4 * EMBEDDING_DIMENSIONS, EMBEDDING_DIMENSIONS, 0)
    id_header = struct.pack(">i", 8)
    blobs = catalog.copy_blobs
    chunk = 20_000
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY catalog_track ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
        tqdm(total=len(ids), unit="row", desc="COPY tracks", file=progress) as bar,
    ):
        copy.write(COPY_HEADER)
        for start in range(0, len(ids), chunk):
            stop = min(start + chunk, len(ids))
            big_endian = vectors[start:stop].astype(">f4")
            parts: list[bytes] = []
            for offset, (track_id, source) in enumerate(
                zip(ids[start:stop].tolist(), sources[start:stop].tolist(), strict=True)
            ):
                parts += (
                    field_count,
                    id_header,
                    struct.pack(">q", track_id),
                    source_field,
                    binary_field(str(track_id).encode()),
                    blobs[source],
                    vector_header,
                    big_endian[offset].tobytes(),
                )
            copy.write(b"".join(parts))
            bar.update(stop - start)
        copy.write(COPY_TRAILER)


def copy_tags(catalog: Catalog, ids: np.ndarray, sources: np.ndarray) -> int:
    links = 0
    chunk = 50_000
    with (
        connection.connection.cursor() as cursor,
        cursor.copy("COPY catalog_tracktag (track_id, tag_id) FROM STDIN") as copy,
    ):
        for start in range(0, len(ids), chunk):
            lines = [
                f"{track_id}\t{tag_id}\n"
                for track_id, source in zip(
                    ids[start : start + chunk].tolist(),
                    sources[start : start + chunk].tolist(),
                    strict=True,
                )
                for tag_id in catalog.tag_ids[source]
            ]
            links += len(lines)
            copy.write("".join(lines))
    return links


def track_sequence_reset() -> None:
    """Point the id sequence past the copied rows, so later inserts get fresh ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('catalog_track', 'id'), "
            "(SELECT max(id) FROM catalog_track))"
        )


def index_build(*, rows: int, progress: Any) -> None:
    """Rebuild the model's HNSW index with the graph in memory (4 GB) and one parallel worker."""
    with _index_build_progress(rows, progress):
        vector_index_build(memory="4GB")


def vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_track")
        cursor.execute("VACUUM ANALYZE catalog_tracktag")


def binary_field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def copy_out_binary(sql: str, *, leading_fields: int) -> Iterator[tuple[list[bytes], bytes]]:
    """Rows of a COPY ... TO STDOUT (FORMAT BINARY): the first fields split out, the rest as raw bytes.

    The raw remainder keeps its length words, so it can be written back into a binary COPY as is.
    """
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data.startswith(COPY_SIGNATURE):
        raise CommandError("Unexpected binary COPY output from PostgreSQL.")
    extension_length = struct.unpack_from(">i", data, len(COPY_SIGNATURE) + 4)[0]
    position = len(COPY_SIGNATURE) + 8 + extension_length
    while True:
        (count,) = struct.unpack_from(">h", data, position)
        position += 2
        if count == -1:
            return
        fields = []
        rest_start = position
        for index in range(count):
            (length,) = struct.unpack_from(">i", data, position)
            position += 4
            value = data[position : position + max(length, 0)]
            position += max(length, 0)
            if index < leading_fields:
                fields.append(value)
                rest_start = position
        yield fields, data[rest_start:position]


class _index_build_progress:  # noqa: N801 - used as a context manager, named like one
    """A tqdm bar fed from pg_stat_progress_create_index on a second connection while the index builds."""

    def __init__(self, rows: int, stream: Any) -> None:
        self.rows = rows
        self.stream = stream
        self.stop = threading.Event()

    def __enter__(self) -> None:
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _poll(self) -> None:
        watcher = connection.get_new_connection(connection.get_connection_params())
        watcher.autocommit = True  # progress views are snapshotted per transaction
        try:
            with tqdm(total=self.rows, unit="row", desc="HNSW build", file=self.stream) as bar:
                while not self.stop.wait(2.0):
                    row = watcher.execute(
                        "SELECT phase, tuples_done, blocks_done, blocks_total "
                        "FROM pg_stat_progress_create_index WHERE relid = 'catalog_track'::regclass"
                    ).fetchone()
                    if row is None:
                        continue
                    phase, tuples_done, blocks_done, blocks_total = row
                    done = tuples_done or (self.rows * blocks_done // blocks_total if blocks_total else 0)
                    bar.set_postfix_str(phase)
                    bar.update(max(0, min(done, self.rows) - bar.n))
        finally:
            watcher.close()


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)
