"""The one lifecycle every background job shares (config.jobs): a job is claimed once, saves
progress only while it runs, and ends once — a late worker never overwrites the sweep's verdict.
Checked on the real job tables of three apps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import DataExport, ExportStatus, User
from catalog.models import CatalogImport, LibraryScan, LibrarySource
from config.jobs import (
    JobStatus,
    JobTakenAway,
    job_claim,
    job_fail,
    job_finish,
    job_heartbeat_clear,
    job_heartbeat_read,
    job_progress,
)
from feedback.models import HistoryImport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_heartbeats_left() -> Iterator[None]:
    """Redis outlives the test database: a beat left for a pk would keep a later test's job of
    that pk from looking stale."""
    yield
    for model in (CatalogImport, HistoryImport, DataExport, LibraryScan):
        for pk in model.objects.values_list("pk", flat=True):
            job_heartbeat_clear(model.job_kind, pk)


def _catalog_import(user: User) -> CatalogImport:
    return CatalogImport.objects.create(
        created_by=user, original_name="tracks.csv", source="test", bytes_total=1000
    )


def test_a_queued_job_is_claimed_once_with_its_start_time_and_a_heartbeat(staff_user: User) -> None:
    job = _catalog_import(staff_user)

    assert job_claim(CatalogImport, pk=job.pk)
    assert not job_claim(CatalogImport, pk=job.pk)  # a redelivered message does nothing

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.started_at is not None
    beat = job_heartbeat_read("catalog_import", job.pk)
    assert beat is not None and beat["pid"] > 0


def test_progress_is_saved_while_running_and_refused_once_the_job_was_taken_away(staff_user: User) -> None:
    job = _catalog_import(staff_user)
    assert job_claim(CatalogImport, pk=job.pk)
    job.bytes_read, job.rows_read = 400, 12
    job_progress(job, fields=("bytes_read", "rows_read"))
    stored = CatalogImport.objects.get(pk=job.pk)
    assert (stored.bytes_read, stored.rows_read, stored.percent_done) == (400, 12, 40)

    CatalogImport.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="swept")
    job.rows_read = 99
    with pytest.raises(JobTakenAway):
        job_progress(job, fields=("rows_read",))
    assert CatalogImport.objects.get(pk=job.pk).rows_read == 12


def test_a_finish_after_the_sweep_failed_the_job_writes_nothing(owner: User) -> None:
    job = HistoryImport.objects.create(user=owner, history_format="spotify", original_name="h.json")
    assert job_claim(HistoryImport, pk=job.pk)
    assert job_fail(job, error="It stopped while running (its worker was lost).")

    job.events_stored = 10
    assert not job_finish(job, fields=("events_stored",))

    stored = HistoryImport.objects.get(pk=job.pk)
    assert stored.status == JobStatus.FAILED
    assert stored.events_stored == 0
    assert stored.is_finished and not stored.is_active


def test_a_data_export_succeeds_as_ready_and_its_progress_is_all_or_nothing(owner: User) -> None:
    export = DataExport.objects.create(user=owner)
    assert export.owner_id == owner.pk
    assert export.is_active and export.percent_done == 0
    assert job_claim(DataExport, pk=export.pk)

    export.size_bytes = 123
    assert job_finish(export, fields=("size_bytes",))

    stored = DataExport.objects.get(pk=export.pk)
    assert stored.status == ExportStatus.READY
    assert stored.size_bytes == 123 and stored.finished_at is not None
    assert stored.percent_done == 100
    assert job_heartbeat_read("data_export", export.pk) is None  # an ended job leaves no heartbeat


def test_an_error_quoting_binary_input_is_stored_without_nul_bytes(staff_user: User) -> None:
    source = LibrarySource.objects.create(name="Music", root="/srv/music-lifecycle")
    scan = LibraryScan.objects.create(source=source, requested_by=staff_user)
    assert job_claim(LibraryScan, pk=scan.pk)

    assert job_fail(scan, error="Missing column \x00\x01 not a catalog")

    stored = LibraryScan.objects.get(pk=scan.pk)
    assert stored.status == JobStatus.FAILED
    assert stored.error == "Missing column \x01 not a catalog"
    assert stored.owner_id == staff_user.pk
