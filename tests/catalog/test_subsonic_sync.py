"""Subsonic sources against a real Supysonic: adding, importing, resyncing, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from catalog.models import LibrarySourceKind, MediaFile, SubsonicAccount, Track
from catalog.sources import library_scan_request, library_scan_run, library_source_add
from catalog.subsonic_services import subsonic_source_add, subsonic_sync_request, subsonic_sync_run
from config.errors import ApplicationError
from config.jobs import JobStatus
from tests.catalog.library_files import tag, write_audio
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SupysonicPeer

pytestmark = pytest.mark.django_db


def _sync(source_id: int) -> object:
    scan = subsonic_sync_request(source_id=source_id, enqueue=False)
    return subsonic_sync_run(scan_id=scan.pk, analyse=False)


def test_adding_a_server_reads_its_version_and_chooses_password_auth_for_api_1_12(
    subsonic_peer: SupysonicPeer, staff_user: User
) -> None:
    source = subsonic_source_add(
        base_url=subsonic_peer.base_url + "/", username=PEER_USER, password=PEER_PASSWORD, user=staff_user
    )
    account = SubsonicAccount.objects.get(source=source)
    assert source.kind == LibrarySourceKind.SUBSONIC
    assert source.base_url == subsonic_peer.base_url
    assert account.api_version == "1.12.0"
    assert account.auth_mode == "password"  # Supysonic is older than token auth (1.13)
    assert PEER_PASSWORD not in account.credentials


def test_wrong_password_is_refused_and_nothing_is_written(
    subsonic_peer: SupysonicPeer, staff_user: User
) -> None:
    with pytest.raises(ApplicationError, match="refused the credentials"):
        subsonic_source_add(
            base_url=subsonic_peer.base_url, username=PEER_USER, password="wrong", user=staff_user
        )
    assert not SubsonicAccount.objects.exists()


def test_unreachable_server_is_a_clear_error(staff_user: User) -> None:
    with pytest.raises(ApplicationError, match="cannot be reached"):
        subsonic_source_add(base_url="http://127.0.0.1:9", username="u", password="p", user=staff_user)


def test_import_reads_every_song_with_its_tags_and_genres(
    subsonic_peer: SupysonicPeer, staff_user: User
) -> None:
    source = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    scan = _sync(source.pk)
    assert scan.status == JobStatus.SUCCEEDED, scan.error  # type: ignore[attr-defined]
    assert (scan.files_total, scan.files_new) == (3, 3)  # type: ignore[attr-defined]
    track = Track.objects.get(title="Night Walk")
    assert [artist.name for artist in track.artists.all()] == ["Miles Ahead"]
    assert (track.album, track.release_year) == ("Blue Room", 1959)
    assert 4000 <= (track.duration_ms or 0) <= 6000
    assert list(track.tags.values_list("name", flat=True)) == ["jazz"]
    again = _sync(source.pk)
    assert (again.files_new, again.files_unchanged, again.files_removed) == (0, 3, 0)  # type: ignore[attr-defined]


def test_resync_follows_added_changed_and_removed_files(
    peer_factory: Callable[[], SupysonicPeer], staff_user: User
) -> None:
    peer = peer_factory()
    source = subsonic_source_add(base_url=peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    _sync(source.pk)
    sprint = MediaFile.objects.get(track__title="Sprint")
    (peer.music / "Miles Ahead/Blue Room/02 Night Walk.mp3").unlink()
    retagged = peer.music / "The Runners/Fast Lane/01 Sprint.mp3"
    tag(
        retagged,
        title="Sprint (Live)",
        artists=["The Runners"],
        album="Fast Lane",
        date="2016",
        genres=["Rock"],
    )
    added = write_audio(peer.music / "New/Arrival/01 Hello.mp3", seconds=3, frequency=550.0, seed=9)
    tag(added, title="Hello", artists=["Newcomer"], album="Arrival", date="2020", genres=["Pop"])
    peer.rescan()
    scan = _sync(source.pk)
    assert scan.status == JobStatus.SUCCEEDED, scan.error  # type: ignore[attr-defined]
    assert (scan.files_new, scan.files_removed) == (1, 1)  # type: ignore[attr-defined]
    assert MediaFile.objects.get(track__title="Night Walk").removed_at is not None
    assert Track.objects.filter(title="Night Walk").exists()  # stays in history
    live_sprint = MediaFile.objects.get(source=source, removed_at__isnull=True, track__album="Fast Lane")
    assert live_sprint.track.title == "Sprint (Live)"
    assert live_sprint.track.release_year == 2016
    assert sprint.pk is not None
    assert Track.objects.filter(title="Hello").exists()


def test_server_stopped_mid_sync_fails_clearly_and_a_resync_resumes(
    peer_factory: Callable[[], SupysonicPeer], staff_user: User
) -> None:
    peer = peer_factory()
    source = subsonic_source_add(base_url=peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    scan = subsonic_sync_request(source_id=source.pk, enqueue=False)

    def stop_after_first_album(progress: object) -> None:
        peer.stop()

    finished = subsonic_sync_run(scan_id=scan.pk, analyse=False, on_progress=stop_after_first_album)
    assert finished is not None and finished.status == JobStatus.FAILED
    assert "cannot be reached" in finished.error and "resumes" in finished.error
    assert finished.resume_after.startswith("1|")
    committed = MediaFile.objects.filter(source=source).count()
    assert committed >= 1
    peer.start()
    resumed = subsonic_sync_request(source_id=source.pk, enqueue=False)
    assert resumed.resume_after == finished.resume_after
    done = subsonic_sync_run(scan_id=resumed.pk, analyse=False)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done.error
    assert MediaFile.objects.filter(source=source, removed_at__isnull=True).count() == 3


def test_a_song_also_in_a_music_folder_joins_the_same_catalog_track(subsonic_peer: SupysonicPeer) -> None:
    folder = library_source_add(root=str(subsonic_peer.music))
    scan = library_scan_request(source_id=folder.pk, enqueue=False)
    library_scan_run(scan_id=scan.pk, analyse=False)
    tracks_before = Track.objects.count()
    server = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    _sync(server.pk)
    assert Track.objects.count() == tracks_before == 3
    night = Track.objects.get(title="Night Walk")
    assert sorted(night.media_files.values_list("source__kind", flat=True)) == ["folder", "subsonic"]
