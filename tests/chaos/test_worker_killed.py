"""Chaos: the worker process running a job is killed (SIGKILL, as the kernel's OOM killer does)
in the middle of a history import, a data export and a playlist generation. Afterwards nothing is
lost or duplicated, and each job is either done once or failed visibly, and its retry succeeds.

A real ``celery -A config worker`` (prefork, one child) runs in a subprocess against the test
database; the child process named by the job's heartbeat is killed. Its parent requeues the
message (late ack, reject on worker lost), whose rerun finds the job claimed and does nothing; the
stale sweep, run here as beat would, then fails the job. Every wait is bounded.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from accounts import exports as accounts_exports
from accounts.models import DataExport, ExportStatus, User
from catalog import embedding_services as catalog_embedding_services
from catalog import services as catalog_services
from catalog.models import Track
from config import embedded
from config.celery import app as celery_app
from config.jobs import JobStatus, job_heartbeat_read
from feedback import history_imports as feedback_history_imports
from feedback.models import HistoryImport, ListeningEvent, TrackAffinity
from playlists import services as playlist_services
from playlists.models import PlaylistVersion, VersionStatus
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.worker,
    pytest.mark.model,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
PLAYS = 60_000
SWEEP_AFTER = timedelta(seconds=2)


def _test_database_url() -> str:
    base = os.environ.get("DATABASE_URL") or embedded.postgres_url()
    return urlunsplit(urlsplit(base)._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker_process(tmp_path: Path, settings) -> Iterator[subprocess.Popen[bytes]]:  # type: ignore[no-untyped-def]
    """A real worker subprocess (prefork, one child) on the test database and this MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    celery_app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
         "-Q", "celery", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)), timeout=90)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()
        celery_app.control.purge()


def _kill_mid_job(kind: str, pk: int, running: Callable[[], bool]) -> bool:
    """SIGKILL the process running job ``kind``/``pk`` once it runs; False when it finished first."""
    wait_until(lambda: running() or _finished(kind, pk), timeout=120)
    beat = job_heartbeat_read(kind, pk)
    if beat is None or not running():
        return False
    os.kill(beat["pid"], signal.SIGKILL)
    wait_until(lambda: not _alive(beat["pid"]), timeout=30)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child stays a zombie until its parent reaps it: that is dead too.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(")")[-1].split()[0] != "Z"


def _finished(kind: str, pk: int) -> bool:
    if kind == "history_import":
        return HistoryImport.objects.get(pk=pk).status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
    if kind == "data_export":
        return DataExport.objects.get(pk=pk).status in (ExportStatus.READY, ExportStatus.FAILED)
    return PlaylistVersion.objects.get(pk=pk).status in (VersionStatus.READY, VersionStatus.FAILED)


def _swept(sweep: Callable[[], object], finished: Callable[[], bool]) -> None:
    """Run the stale sweep as beat would until the dead job is failed (bounded)."""

    def check() -> bool:
        sweep()
        return finished()

    wait_until(check, timeout=60)


@pytest.fixture
def catalog() -> list[Track]:
    # The worker may run the embedding task the load queues, beside this process embedding them
    # all now (rows are claimed with SKIP LOCKED, so no track is embedded twice).
    catalog_services.catalog_demo_load(count=300, seed=5)
    catalog_embedding_services.catalog_embed_all(batch_size=256)
    return list(Track.objects.prefetch_related("artists").order_by("pk")[:50])


def _listens(tracks: list[Track]) -> bytes:
    lines = []
    for index in range(PLAYS):
        track = tracks[index % len(tracks)]
        metadata = {"artist_name": track.artists.all()[0].name, "track_name": track.title}
        lines.append(json.dumps({"listened_at": 1_600_000_000 + 60 * index, "track_metadata": metadata}))
    return "\n".join(lines).encode()


def test_jobs_whose_worker_is_killed_end_done_once_or_failed_with_a_retry_that_succeeds(
    worker_process: subprocess.Popen[bytes], owner: User, catalog: list[Track], tmp_path: Path
) -> None:
    user = User.objects.get(pk=owner.pk)
    listens = _listens(catalog)

    # 1. A history import, killed between two of its batches.
    job = feedback_history_imports.history_import_request(
        user=user, uploaded_file=SimpleUploadedFile("listens.jsonl", listens), history_format="listenbrainz"
    )
    upload = Path(job.file.path)
    killed = _kill_mid_job(
        "history_import",
        job.pk,
        lambda: HistoryImport.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, events_stored__gt=0
        ).exists(),
    )
    assert killed, "the import of 60,000 plays finished before the worker could be killed"
    if killed:
        _swept(
            lambda: feedback_history_imports.history_imports_sweep_stale(stale_after=SWEEP_AFTER),
            lambda: HistoryImport.objects.get(pk=job.pk).status == JobStatus.FAILED,
        )
        job.refresh_from_db()
        assert "its worker was lost" in job.error and "Upload the file again to retry" in job.error
        assert not upload.exists()
        assert 0 < ListeningEvent.objects.filter(user=user).count() < PLAYS
        retry = feedback_history_imports.history_import_request(
            user=user,
            uploaded_file=SimpleUploadedFile("listens.jsonl", listens),
            history_format="listenbrainz",
        )
        job = retry
    wait_until(lambda: _finished("history_import", job.pk), timeout=300)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert ListeningEvent.objects.filter(user=user).count() == PLAYS  # nothing lost, nothing twice
    assert sum(TrackAffinity.objects.filter(user=user).values_list("events", flat=True)) == PLAYS

    # 2. A data export of those events, killed while it is built.
    export = accounts_exports.data_export_request(user=user)
    killed = _kill_mid_job(
        "data_export",
        export.pk,
        lambda: DataExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).exists(),
    )
    print(f"data export killed mid-run: {killed}")
    exports = Path(django_settings.MEDIA_ROOT) / accounts_exports.EXPORT_FOLDER
    if killed:
        _swept(
            lambda: accounts_exports.data_exports_sweep_stale(stale_after=SWEEP_AFTER),
            lambda: DataExport.objects.get(pk=export.pk).status == ExportStatus.FAILED,
        )
        assert not list(exports.glob(f"segue-export-{export.pk}-*"))  # no half-written ZIP left
        export = accounts_exports.data_export_request(user=user)
    wait_until(lambda: _finished("data_export", export.pk), timeout=300)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    assert [path.name for path in exports.iterdir()] == [Path(export.file_path).name]
    with zipfile.ZipFile(Path(django_settings.MEDIA_ROOT) / export.file_path) as archive:
        names = [name for name in archive.namelist() if "listeningevent" in name]
        rows = json.load(io.TextIOWrapper(archive.open(names[0]), encoding="utf-8"))
    assert len(rows) == PLAYS

    # 3. A playlist generation, killed while it runs.
    playlist = playlist_services.playlist_create(owner=user, prompt="calm jazz for a rainy evening", size=10)
    version = playlist.versions.get()
    killed = _kill_mid_job(
        "playlist_version",
        version.pk,
        lambda: PlaylistVersion.objects.filter(pk=version.pk, status=VersionStatus.RUNNING).exists(),
    )
    print(f"playlist generation killed mid-run: {killed}")
    if killed:
        _swept(
            lambda: playlist_services.playlist_versions_sweep_stale(stale_after=SWEEP_AFTER),
            lambda: PlaylistVersion.objects.get(pk=version.pk).status == VersionStatus.FAILED,
        )
        version.refresh_from_db()
        assert "Retry to build it again" in version.error
        assert not version.items.exists()
        playlist_services.playlist_version_retry(version=version)
    wait_until(lambda: _finished("playlist_version", version.pk), timeout=300)
    version.refresh_from_db()
    assert version.status == VersionStatus.READY, version.error
    assert playlist.versions.count() == 1
    positions = list(version.items.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, 11))
    assert version.items.values("track").distinct().count() == 10
