"""The HNSW index on ``Track.embedding``: drop it for a bulk load, build it once afterwards.

Inserting into an HNSW graph row by row costs far more than building the graph once over all
rows, so a bulk embedding of most of the catalog (a first import) runs without the index and
builds it at the end. The definition always comes from the model (``Track._meta.indexes``), so
the index rebuilt is the one the migrations made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from pgvector.django import HnswIndex

from catalog.models import Track

logger = logging.getLogger(__name__)


def vector_index() -> HnswIndex:
    return next(index for index in Track._meta.indexes if isinstance(index, HnswIndex))


def vector_index_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [vector_index().name])
        row = cursor.fetchone()
    return bool(row and row[0])


def vector_index_drop() -> None:
    if not vector_index_exists():
        return
    with connection.schema_editor() as editor:
        editor.remove_index(Track, vector_index())


def vector_index_build(*, memory: str | None = None) -> None:
    """Build the index over every row, with ``memory`` (``VECTOR_INDEX_BUILD_MEMORY``) for the graph."""
    with connection.cursor() as cursor:
        memory = memory or settings.VECTOR_INDEX_BUILD_MEMORY
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [memory])
        cursor.execute("SET max_parallel_maintenance_workers = 1")
    try:
        with connection.schema_editor() as editor:
            editor.add_index(Track, vector_index())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute("RESET max_parallel_maintenance_workers")


def vector_index_ensure() -> bool:
    """Build the index if it is missing (a bulk run that died before rebuilding it)."""
    if vector_index_exists():
        return False
    logger.warning("The vector index %s was missing; building it now.", vector_index().name)
    vector_index_build()
    return True


@contextmanager
def vector_index_suspended() -> Iterator[None]:
    """Drop the index for the duration of a bulk write and build it again afterwards, whatever happens.

    Searches meanwhile fall back to exact scans: correct, only slower.
    """
    vector_index_drop()
    try:
        yield
    finally:
        vector_index_build()
