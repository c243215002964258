"""A catalog upload is deleted once its import finishes, succeeded or failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from catalog import import_jobs
from catalog.models import CatalogImport
from config.jobs import JobStatus

pytestmark = pytest.mark.django_db

CSV = "id,title,artist\nu1,Blue in Green,Miles Davis\n"


@pytest.mark.parametrize(
    ("content", "status"), [(CSV, JobStatus.SUCCEEDED), ("\x00\x01 not a catalog", JobStatus.FAILED)]
)
def test_upload_is_deleted_after_the_import(
    staff_user: User, settings: object, tmp_path: Path, content: str, status: str
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    upload = SimpleUploadedFile("tracks.csv", content.encode(), content_type="text/csv")
    job = import_jobs.catalog_import_request(
        user=staff_user, uploaded_file=upload, source="test", strict=True
    )
    stored = Path(job.file.path)
    assert stored.exists()

    import_jobs.catalog_import_run(import_id=job.pk)

    job = CatalogImport.objects.get(pk=job.pk)
    assert job.status == status
    assert not stored.exists()
    assert not job.file
