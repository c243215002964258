"""Scanning a music folder into the catalog: the services against the real database and real files."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from catalog.models import LIBRARY_TRACK_SOURCE, LibraryScan, LibrarySource, MediaFile, Track
from catalog.selectors import tracks_playable_or_metadata_only
from catalog.sources import (
    library_scan_cancel,
    library_scan_request,
    library_scan_run,
    library_scan_sweep_stale,
    library_source_add,
    library_source_remove,
)
from config.errors import ApplicationError
from config.jobs import JobStatus
from tests.catalog.factories import TrackFactory
from tests.catalog.library_files import sample_library, tag, write_audio

pytestmark = pytest.mark.django_db


@pytest.fixture
def music(tmp_path: Path) -> Path:
    return sample_library(tmp_path / "music")


def scan(source: LibrarySource, **kwargs: object) -> LibraryScan:
    requested = library_scan_request(source_id=source.pk, enqueue=False)
    finished = library_scan_run(scan_id=requested.pk, analyse=False, **kwargs)  # type: ignore[arg-type]
    assert finished is not None
    return finished


def counts(scan: LibraryScan) -> dict[str, int]:
    return {
        "seen": scan.files_seen,
        "new": scan.files_new,
        "changed": scan.files_changed,
        "unchanged": scan.files_unchanged,
        "removed": scan.files_removed,
        "failed": scan.files_failed,
    }


def track_of(source: LibrarySource, path: str) -> Track:
    return MediaFile.objects.get(source=source, path=path).track


# --- sources -------------------------------------------------------------------------------------


def test_a_missing_or_duplicate_folder_is_refused(music: Path, tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match="does not exist"):
        library_source_add(root=str(tmp_path / "nowhere"))
    with pytest.raises(ApplicationError, match="not a folder"):
        library_source_add(root=str(next(music.rglob("*.mp3"))))
    library_source_add(root=str(music))
    with pytest.raises(ApplicationError, match="already a library"):
        library_source_add(root=str(music) + "/")


def test_requesting_a_scan_queues_a_task_on_commit_and_reuses_an_active_scan(
    music: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    source = library_source_add(root=str(music))
    with django_capture_on_commit_callbacks() as callbacks:
        first = library_scan_request(source_id=source.pk)
        again = library_scan_request(source_id=source.pk)
    assert again.pk == first.pk
    assert len(callbacks) == 2  # sent again: a duplicate finds the scan claimed


# --- the scan ------------------------------------------------------------------------------------


def test_a_scan_catalogues_tags_artists_genres_and_names_from_paths(music: Path) -> None:
    source = library_source_add(root=str(music))

    finished = scan(source)

    assert finished.status == JobStatus.SUCCEEDED
    assert counts(finished) == {"seen": 3, "new": 3, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0}
    night = track_of(source, "Neon Roads/After Hours/01 - Night Drive.mp3")
    assert night.source == LIBRARY_TRACK_SOURCE
    assert night.title == "Night Drive"
    assert [link.artist.name for link in night.track_artists.all()] == ["Neon Roads", "Ada Vox"]
    assert list(night.tags.values_list("name", flat=True)) == ["synthwave"]
    assert night.release_year == 2019
    assert "Night Drive" in night.document and night.embedding is None
    morning = MediaFile.objects.get(source=source, path="The Dawns/First Light/03 - Morning Song.ogg")
    assert morning.tagged_from_path
    assert (morning.track.title, morning.track.album) == ("Morning Song", "First Light")
    assert morning.audio_format == "ogg" and morning.content_type == "audio/ogg"
    source.refresh_from_db()
    assert source.last_scan_at is not None


def test_a_rescan_counts_unchanged_files_and_rereads_changed_ones(music: Path) -> None:
    source = library_source_add(root=str(music))
    scan(source)
    changed_path = music / "Neon Roads" / "After Hours" / "01 - Night Drive.mp3"
    tag(changed_path, title="Night Drive (Remix)")
    os.utime(changed_path, (1_700_000_000, 1_700_000_000))
    track_before = track_of(source, "Neon Roads/After Hours/01 - Night Drive.mp3")

    again = scan(source)

    assert counts(again) == {"seen": 3, "new": 0, "changed": 1, "unchanged": 2, "removed": 0, "failed": 0}
    track_after = track_of(source, "Neon Roads/After Hours/01 - Night Drive.mp3")
    assert track_after.pk == track_before.pk
    assert track_after.title == "Night Drive (Remix)"
    assert MediaFile.objects.filter(source=source, removed_at__isnull=True).count() == 3


def test_a_moved_file_keeps_its_track_and_a_deleted_one_leaves_new_playlists(music: Path) -> None:
    source = library_source_add(root=str(music))
    scan(source)
    moved_from = "The Dawns/First Light/03 - Morning Song.ogg"
    track = track_of(source, moved_from)
    media_file_id = MediaFile.objects.get(source=source, path=moved_from).pk
    (music / "Elsewhere").mkdir()
    shutil.move(music / moved_from, music / "Elsewhere" / "morning.ogg")
    deleted = track_of(source, "Neon Roads/After Hours/02 - City Lights.flac")
    (music / "Neon Roads" / "After Hours" / "02 - City Lights.flac").unlink()

    again = scan(source)

    assert counts(again) == {"seen": 2, "new": 0, "changed": 1, "unchanged": 1, "removed": 1, "failed": 0}
    moved = MediaFile.objects.get(pk=media_file_id)
    assert (moved.path, moved.track_id, moved.removed_at) == ("Elsewhere/morning.ogg", track.pk, None)
    gone = MediaFile.objects.get(source=source, track=deleted)
    assert gone.removed_at is not None
    playable = set(tracks_playable_or_metadata_only().values_list("pk", flat=True))
    assert track.pk in playable and deleted.pk not in playable
    assert Track.objects.filter(pk=deleted.pk).exists()  # still in history and exports


def test_a_catalog_track_without_files_stays_playable_metadata(music: Path) -> None:
    catalog_track = TrackFactory(source="spotify")
    source = library_source_add(root=str(music))
    scan(source)
    library_track = track_of(source, "Neon Roads/After Hours/01 - Night Drive.mp3")

    library_source_remove(source_id=source.pk)

    playable = set(tracks_playable_or_metadata_only().values_list("pk", flat=True))
    assert catalog_track.pk in playable
    assert library_track.pk not in playable
    assert Track.objects.filter(pk=library_track.pk).exists()


def test_a_file_merges_with_the_catalog_track_of_its_isrc(music: Path) -> None:
    existing = TrackFactory(
        source="spotify", title="Another Name", isrc="GBABC1900001", album="", duration_ms=None, tempo=97.0
    )
    tag(
        write_audio(music / "x" / "isrc.flac", seed=9),
        title="Isrc Song",
        artists=["Someone"],
        isrc="GBABC1900001",
    )
    source = library_source_add(root=str(music))

    scan(source)

    merged = track_of(source, "x/isrc.flac")
    assert merged.pk == existing.pk
    assert merged.title == "Another Name"  # a catalog's names are not overwritten
    assert merged.duration_ms is not None  # blanks are filled
    assert merged.tempo == 97.0


def test_a_file_never_joins_a_made_up_demo_track(music: Path) -> None:
    demo = TrackFactory(source="demo", title="City Lights", artists=["Neon Roads"], duration_ms=2000)
    source = library_source_add(root=str(music))

    scan(source)

    assert track_of(source, "Neon Roads/After Hours/02 - City Lights.flac").pk != demo.pk


def test_a_file_merges_with_a_catalog_track_by_artist_title_and_duration(music: Path) -> None:
    existing = TrackFactory(source="spotify", title="City  lights", artists=["NEON ROADS"], duration_ms=3000)
    source = library_source_add(root=str(music))

    scan(source)

    assert track_of(source, "Neon Roads/After Hours/02 - City Lights.flac").pk == existing.pk


def test_broken_files_are_reported_and_the_scan_goes_on(music: Path) -> None:
    (music / "bad").mkdir()
    (music / "bad" / "notes.mp3").write_text("not music at all\n" * 50)
    data = write_audio(music / "bad" / "cut.flac", seconds=4.0).read_bytes()
    (music / "bad" / "cut.flac").write_bytes(data[: len(data) // 2])
    source = library_source_add(root=str(music))

    finished = scan(source)

    assert finished.status == JobStatus.SUCCEEDED
    assert (finished.files_new, finished.files_failed) == (3, 2)
    assert [failure["path"] for failure in finished.failures] == ["bad/cut.flac", "bad/notes.mp3"]
    assert all(failure["reason"] for failure in finished.failures)


def test_a_symlink_leaving_the_root_is_not_scanned(music: Path, tmp_path: Path) -> None:
    outside = write_audio(tmp_path / "private" / "secret.wav")
    os.symlink(outside.parent, music / "escape")
    source = library_source_add(root=str(music))

    finished = scan(source)

    assert finished.files_seen == 3
    assert not MediaFile.objects.filter(path__contains="secret").exists()


def test_a_cancelled_scan_stops_and_the_next_one_resumes_after_its_last_path(
    music: Path, settings: Settings
) -> None:
    settings.LIBRARY_SCAN_HEARTBEAT_FILES = 1
    source = library_source_add(root=str(music))
    first = library_scan_request(source_id=source.pk, enqueue=False)

    def cancel_after_first_file(progress: object) -> None:
        LibraryScan.objects.filter(pk=first.pk).update(cancel_requested=True)

    stopped = library_scan_run(scan_id=first.pk, analyse=False, on_progress=cancel_after_first_file)

    assert stopped is not None and stopped.status == JobStatus.CANCELLED
    assert (stopped.files_seen, stopped.resume_after) == (1, "Neon Roads/After Hours/01 - Night Drive.mp3")
    resumed = scan(source)
    assert resumed.status == JobStatus.SUCCEEDED
    assert (resumed.files_seen, resumed.files_new, resumed.files_removed) == (2, 2, 0)
    assert MediaFile.objects.filter(source=source, removed_at__isnull=True).count() == 3
    # The one after that is a full scan again.
    assert scan(source).files_seen == 3


def test_a_scan_the_sweep_declared_lost_stops_without_overwriting_its_status(
    music: Path, settings: Settings
) -> None:
    settings.LIBRARY_SCAN_HEARTBEAT_FILES = 1
    source = library_source_add(root=str(music))
    first = library_scan_request(source_id=source.pk, enqueue=False)

    def swept(progress: object) -> None:
        LibraryScan.objects.filter(pk=first.pk).update(status=JobStatus.FAILED, error="lost")

    stopped = library_scan_run(scan_id=first.pk, analyse=False, on_progress=swept)

    assert stopped is not None and (stopped.status, stopped.error) == (JobStatus.FAILED, "lost")
    assert MediaFile.objects.filter(source=source).count() == 1  # stopped at the first heartbeat


def test_cancelling_a_queued_scan_is_immediate_and_a_finished_one_is_refused(music: Path) -> None:
    source = library_source_add(root=str(music))
    queued = library_scan_request(source_id=source.pk, enqueue=False)
    assert library_scan_cancel(scan_id=queued.pk).status == JobStatus.CANCELLED
    assert library_scan_run(scan_id=queued.pk) is None  # a late task does nothing
    with pytest.raises(ApplicationError, match="already finished"):
        library_scan_cancel(scan_id=queued.pk)


def test_a_running_scan_whose_heartbeat_is_stale_is_marked_failed(music: Path) -> None:
    source = library_source_add(root=str(music))
    running = LibraryScan.objects.create(
        source=source, status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    other = library_source_add(root=str(next(music.iterdir())))
    alive = LibraryScan.objects.create(source=other, status=JobStatus.RUNNING, heartbeat_at=timezone.now())

    assert library_scan_sweep_stale(stale_after=timedelta(minutes=10)) == 1

    running.refresh_from_db()
    alive.refresh_from_db()
    assert running.status == JobStatus.FAILED and "worker was lost" in running.error
    assert alive.status == JobStatus.RUNNING


def test_a_scan_of_a_folder_that_vanished_fails_with_the_reason(music: Path) -> None:
    source = library_source_add(root=str(music))
    shutil.rmtree(music)
    finished = scan(source)
    assert finished.status == JobStatus.FAILED
    assert "does not exist" in finished.error


def test_a_track_with_one_removed_and_one_live_file_stays_playable(music: Path) -> None:
    source = library_source_add(root=str(music))
    scan(source)
    night = MediaFile.objects.get(source=source, path__endswith="Night Drive.mp3")
    copy = music / "copies" / "night.mp3"
    copy.parent.mkdir()
    copy.write_bytes((music / night.path).read_bytes())
    scan(source)
    assert MediaFile.objects.get(source=source, path="copies/night.mp3").track_id == night.track_id
    (music / night.path).unlink()

    assert scan(source).files_removed == 1

    narrowed = tracks_playable_or_metadata_only(Track.objects.filter(pk=night.track_id))
    assert list(narrowed.values_list("pk", flat=True)) == [night.track_id]
