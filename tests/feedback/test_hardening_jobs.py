"""Any job whose worker died is noticed: late acks where a rerun is safe, and a stale sweep that
fails the job with a retry and removes its files — for every kind of background job."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import exports as accounts_exports
from accounts import tasks as account_tasks
from accounts.models import DataExport, ExportStatus, User
from catalog import import_jobs as catalog_import_jobs
from catalog import tasks as catalog_tasks
from catalog.models import CatalogImport
from config.jobs import JobStatus, job_heartbeat, job_heartbeat_clear, job_heartbeat_read
from feedback import history_imports, tasks
from feedback.models import HistoryImport
from playlists import services as playlist_services
from playlists import tasks as playlist_tasks
from playlists.models import VersionStatus
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db
LONG_AGO = timedelta(hours=1)
STALE_AFTER = timedelta(minutes=10)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _running_history_import(user: User) -> HistoryImport:
    job = HistoryImport.objects.create(user=user, history_format="spotify", original_name="h.json")
    job.file.save("h.json", ContentFile(b"[]"), save=False)
    job.status = JobStatus.RUNNING
    job.events_stored = 1500
    job.save()
    HistoryImport.objects.filter(pk=job.pk).update(created_at=timezone.now() - LONG_AGO)
    job_heartbeat_clear("history_import", job.pk)
    return job


def test_a_history_import_whose_worker_was_lost_fails_with_a_retry_and_loses_its_upload(owner: User) -> None:
    job = _running_history_import(owner)
    upload = Path(job.file.path)
    assert upload.exists()

    assert history_imports.history_imports_sweep_stale(stale_after=STALE_AFTER) == [job.pk]

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "its worker was lost" in job.error
    assert "1,500 plays were imported" in job.error
    assert "Upload the file again to retry" in job.error
    assert job.finished_at is not None
    assert not job.file
    assert not upload.exists()


def test_a_history_import_with_a_recent_heartbeat_is_left_running(owner: User) -> None:
    job = _running_history_import(owner)
    job_heartbeat("history_import", job.pk)

    assert history_imports.history_imports_sweep_stale(stale_after=STALE_AFTER) == []

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job_heartbeat_read("history_import", job.pk)["pid"] > 0


def test_a_swept_history_import_lets_the_listener_import_again(owner: User) -> None:
    _running_history_import(owner)
    history_imports.history_imports_sweep_stale(stale_after=STALE_AFTER)

    again = history_imports.history_import_request(
        user=owner, uploaded_file=SimpleUploadedFile("h.json", b"[]"), history_format="spotify"
    )
    assert again.status == JobStatus.QUEUED


def test_a_catalog_import_whose_worker_was_lost_fails_and_loses_its_upload(staff_user: User) -> None:
    job = CatalogImport.objects.create(
        created_by=staff_user,
        original_name="c.csv",
        source="test",
        status=JobStatus.RUNNING,
        started_at=timezone.now() - LONG_AGO,
        rows_read=42,
    )
    job.file.save("c.csv", ContentFile(b"id,title,artist\n"), save=True)
    upload = Path(job.file.path)
    job_heartbeat_clear("catalog_import", job.pk)  # Redis outlives the test database: no stale beat

    assert catalog_import_jobs.catalog_imports_sweep_stale(stale_after=STALE_AFTER) == [job.pk]

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "its worker was lost" in job.error and "42 rows were read" in job.error
    assert not upload.exists()


def test_a_data_export_whose_worker_was_lost_fails_and_its_partial_zip_goes(owner: User) -> None:
    export = DataExport.objects.create(
        user=owner, status=ExportStatus.RUNNING, started_at=timezone.now() - LONG_AGO
    )
    folder = Path(django_settings.MEDIA_ROOT) / accounts_exports.EXPORT_FOLDER
    folder.mkdir(parents=True)
    partial = folder / f"segue-export-{export.pk}-0123456789abcdef.zip"
    partial.write_bytes(b"PK half written")
    job_heartbeat_clear("data_export", export.pk)

    assert accounts_exports.data_exports_sweep_stale(stale_after=STALE_AFTER) == [export.pk]

    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "Ask for your data again to retry" in export.error
    assert not partial.exists()
    assert accounts_exports.data_export_request(user=owner).pk != export.pk  # the retry is a new export


def test_a_playlist_version_lost_while_generating_fails_and_can_be_retried(owner: User) -> None:
    playlist = playlist_make(owner=owner)
    running = version_make(playlist, status=VersionStatus.RUNNING, started_at=timezone.now() - LONG_AGO)
    fresh = version_make(playlist, status=VersionStatus.RUNNING, started_at=timezone.now())
    job_heartbeat_clear("playlist_version", running.pk)

    assert playlist_services.playlist_versions_sweep_stale(stale_after=STALE_AFTER) == [running.pk]

    running.refresh_from_db()
    fresh.refresh_from_db()
    assert running.status == VersionStatus.FAILED
    assert "Retry to build it again" in running.error
    assert fresh.status == VersionStatus.RUNNING
    assert playlist_services.playlist_version_retry(version=running).status == VersionStatus.QUEUED


def test_a_version_queued_far_too_long_fails_too(owner: User) -> None:
    playlist = playlist_make(owner=owner)
    queued = version_make(playlist, status=VersionStatus.QUEUED)
    type(queued).objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(days=1))
    job_heartbeat_clear("playlist_version", queued.pk)

    assert playlist_services.playlist_versions_sweep_stale(stale_after=STALE_AFTER) == [queued.pk]


def test_every_job_task_is_acked_late_and_requeued_when_its_worker_dies() -> None:
    for task in (
        tasks.run_history_import,
        catalog_tasks.run_catalog_import,
        catalog_tasks.scan_library_source,
        account_tasks.build_data_export,
        playlist_tasks.generate_version,
    ):
        assert task.acks_late and task.reject_on_worker_lost, task.name


def test_beat_runs_every_stale_sweep() -> None:
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "feedback.tasks.sweep_history_imports",
        "catalog.tasks.sweep_catalog_imports",
        "catalog.tasks.sweep_library_scans",
        "accounts.tasks.sweep_data_exports",
        "playlists.tasks.sweep_playlist_versions",
    } <= scheduled
