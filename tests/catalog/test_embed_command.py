"""Bulk embedding: the embed_catalog command and its pipelined service."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command

from catalog import embedding_services
from catalog.features import EMBEDDING_DIMENSIONS
from catalog.models import Track
from catalog.selectors import track_semantic_search
from catalog.vector_index import vector_index_drop, vector_index_exists
from tests.catalog.factories import TrackFactory

# The pipelined writer uses a second connection, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def _ones(documents: list[str]) -> np.ndarray:
    vectors = np.ones((len(documents), EMBEDDING_DIMENSIONS), dtype=np.float32)
    return vectors / np.linalg.norm(vectors[0])


@pytest.mark.model
def test_command_embeds_pending_tracks_and_is_resumable(capsys: pytest.CaptureFixture[str]) -> None:
    TrackFactory(
        title="Kind of Blue", document="So What by Miles Davis. genres and tags: cool jazz", embedding=None
    )
    for i in range(4):
        TrackFactory(document=f"Banger {i} by DJ Someone. genres and tags: techno, rave", embedding=None)
    already = TrackFactory()
    before = already.embedding.copy()

    call_command("embed_catalog", "--batch-size", "2")

    assert not Track.objects.filter(embedding__isnull=True).exists()
    already.refresh_from_db()
    assert np.allclose(already.embedding, before)
    assert track_semantic_search(text="cool jazz trumpet", k=1)[0].title == "Kind of Blue"
    assert "Embedded 5 tracks." in capsys.readouterr().out

    call_command("embed_catalog")
    assert "All 6 tracks are embedded." in capsys.readouterr().out


def test_bulk_embedding_reports_progress_per_written_batch() -> None:
    for _ in range(5):
        TrackFactory(embedding=None)
    progress: list[int] = []

    embedded = embedding_services.catalog_embed_all(batch_size=2, encode=_ones, on_progress=progress.append)

    assert embedded == 5
    assert progress == [2, 2, 1]


def test_a_vector_for_a_document_changed_meanwhile_is_not_stored() -> None:
    track = TrackFactory(document="old words", embedding=None)

    def encode_while_reimported(documents: list[str]) -> np.ndarray:
        Track.objects.filter(pk=track.pk, document="old words").update(document="new words")
        return _ones(documents)

    assert embedding_services.track_embed_pending(limit=10, encode=encode_while_reimported) == 0
    track.refresh_from_db()
    assert track.embedding is None
    assert embedding_services.catalog_embed_all(batch_size=10, encode=_ones) == 1


def _index_dropped_while_encoding(seen: list[bool]):  # type: ignore[no-untyped-def]
    def encode(documents: list[str]) -> np.ndarray:
        seen.append(vector_index_exists())
        return _ones(documents)

    return encode


def test_a_bulk_run_drops_the_index_and_builds_it_once_at_the_end(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMBED_REBUILD_INDEX_MIN_PENDING = 3
    TrackFactory()
    for _ in range(4):
        TrackFactory(embedding=None)
    index_present: list[bool] = []

    assert (
        embedding_services.catalog_embed_all(
            batch_size=2, encode=_index_dropped_while_encoding(index_present)
        )
        == 4
    )

    assert index_present == [False, False]
    assert vector_index_exists()


def test_a_small_run_keeps_the_index() -> None:
    TrackFactory()
    TrackFactory(embedding=None)
    index_present: list[bool] = []

    embedding_services.catalog_embed_all(batch_size=2, encode=_index_dropped_while_encoding(index_present))

    assert index_present == [True]


def test_the_index_is_rebuilt_when_a_bulk_run_fails(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMBED_REBUILD_INDEX_MIN_PENDING = 1
    TrackFactory(embedding=None)

    def broken_encoder(documents: list[str]) -> np.ndarray:
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError):
        embedding_services.catalog_embed_all(batch_size=2, encode=broken_encoder)

    assert vector_index_exists()


def test_a_missing_index_is_built_by_the_next_run() -> None:
    vector_index_drop()

    embedding_services.catalog_embed_all(batch_size=2, encode=_ones)

    assert vector_index_exists()
