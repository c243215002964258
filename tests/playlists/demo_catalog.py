"""The demo catalog loaded and embedded once per test module (real model, real database).

Loading and embedding 800 tracks takes ~15 s of CPU, too much to repeat for every test; the
rows are committed outside the tests' transactions and removed when the module is done. The
tests only read the catalog (whatever they write, in their own transaction, is rolled back).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.embedding_services import track_embed_pending
from catalog.models import Artist, CatalogImport, Tag, Track
from catalog.services import catalog_demo_load
from config.celery import app as celery_app

DEMO_TRACKS = 800
DEMO_SEED = 11


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        assert not Track.objects.exists(), "the demo catalog needs an empty catalog"
        try:
            catalog_demo_load(count=DEMO_TRACKS, seed=DEMO_SEED)
            # The load queues the real embedding task; no worker runs here, so the tracks are
            # embedded in this process and the queued task is dropped from the test broker.
            celery_app.control.purge()
            track_embed_pending(limit=DEMO_TRACKS)
            yield
        finally:
            Track.objects.all().delete()
            Artist.objects.all().delete()
            Tag.objects.all().delete()
            CatalogImport.objects.all().delete()
