"""Import and embedding run by a real Celery worker on the real Redis broker and database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import embedding_services, import_jobs
from catalog.models import CatalogImport, Track
from catalog.selectors import track_semantic_search
from config.jobs import JobStatus
from tests.catalog.factories import TrackFactory
from tests.waiting import wait_until as _wait_until

pytestmark = [pytest.mark.worker, pytest.mark.model, pytest.mark.django_db(transaction=True)]

CSV = (
    "id,title,artist,genre,energy,tempo\n"
    "w1,Blue in Green,Miles Davis,jazz,0.2,70\n"
    "w2,Thunderstruck,AC/DC,hard rock,0.95,134\n"
    "w3,Bad Row,Nobody,rock,7,120\n"
)


@pytest.mark.worker_env(EMBEDDING_BATCH_SIZE="2")
def test_worker_embeds_pending_tracks_in_batches(celery_worker: object, settings: object) -> None:
    settings.EMBEDDING_BATCH_SIZE = 2  # type: ignore[attr-defined]  # the worker's: worker_env
    TrackFactory(
        title="Blue in Green", document="Blue in Green by Miles Davis. genres: cool jazz", embedding=None
    )
    for i in range(4):
        TrackFactory(document=f"Track {i} by Someone. genres: techno", embedding=None)

    embedding_services.embedding_queue()

    _wait_until(lambda: not Track.objects.filter(embedding__isnull=True).exists())
    norms = [float(np.linalg.norm(vector)) for vector in Track.objects.values_list("embedding", flat=True)]
    assert norms == pytest.approx([1.0] * 5, abs=1e-3)
    assert track_semantic_search(text="cool jazz", k=1)[0].title == "Blue in Green"


def test_uploaded_import_runs_in_the_worker_then_embeds(
    celery_worker: object, staff_user: object, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    upload = SimpleUploadedFile("tracks.csv", CSV.encode(), content_type="text/csv")

    job = import_jobs.catalog_import_request(
        user=staff_user, uploaded_file=upload, source="test", tag_columns="genre"
    )

    _wait_until(lambda: CatalogImport.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED)
    job.refresh_from_db()
    assert (job.rows_read, job.tracks_created, job.rows_skipped) == (3, 2, 1)
    assert job.skipped_rows == [{"line": 4, "reason": "energy 7 is outside 0..1"}]
    assert job.percent_done == 100
    _wait_until(lambda: not Track.objects.filter(embedding__isnull=True).exists())
    assert track_semantic_search(text="loud hard rock anthem", k=1)[0].title == "Thunderstruck"


def test_a_job_is_run_once_even_if_delivered_twice(
    staff_user: object, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    upload = SimpleUploadedFile("tracks.csv", CSV.encode())
    job = import_jobs.catalog_import_request(user=staff_user, uploaded_file=upload, source="test")
    CatalogImport.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)

    import_jobs.catalog_import_run(import_id=job.pk)

    assert not Track.objects.exists()
