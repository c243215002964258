"""Every write of track embeddings: queueing, embedding the pending tracks (by the worker or the
command), and the bulk pass over the whole catalog."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from catalog.models import Track
from catalog.vector_index import vector_index_ensure, vector_index_suspended

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
