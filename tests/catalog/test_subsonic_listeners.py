"""A listener's own link to a Subsonic server, against a real Supysonic: streaming through Segue,
analysis through the server, pushed playlists, scrobbles, starred songs, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import ConsentPurpose, User
from accounts.services import consent_withdraw
from catalog.models import LibrarySource, MediaFile, SubsonicLink, SubsonicPush, Track
from catalog.subsonic_services import (
    subsonic_file_analyse,
    subsonic_link_add,
    subsonic_link_remove,
    subsonic_pushes_refresh,
    subsonic_scrobbles_send,
    subsonic_source_add,
    subsonic_sync_request,
    subsonic_sync_run,
)
from config.errors import ApplicationError
from feedback.ingestion import events_ingest
from feedback.models import ListeningEvent
from feedback.subsonic_history import subsonic_history_import
from playlists.services import playlist_delete, playlist_push, playlist_update
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SECOND_PASSWORD, SECOND_USER, SupysonicPeer
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(subsonic_peer: SupysonicPeer, staff_user: User) -> LibrarySource:
    added = subsonic_source_add(
        base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD, user=staff_user
    )
    scan = subsonic_sync_request(source_id=added.pk, enqueue=False)
    subsonic_sync_run(scan_id=scan.pk, analyse=False)
    return added


@pytest.fixture
def link(source: LibrarySource, owner: User) -> SubsonicLink:
    return subsonic_link_add(user=owner, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD)


def _tracks() -> list[Track]:
    return list(Track.objects.filter(media_files__source__kind="subsonic").order_by("title"))


def _song_id(track: Track) -> str:
    return MediaFile.objects.get(track=track).path


def test_a_subsonic_track_streams_through_segue_with_range(
    client: Client, owner: User, source: LibrarySource, subsonic_peer: SupysonicPeer
) -> None:
    client.force_login(owner)
    track = Track.objects.get(title="Sprint")
    whole = client.get(f"/tracks/{track.pk}/stream")
    assert whole.status_code == 200
    audio = b"".join(whole.streaming_content)  # type: ignore[attr-defined]
    assert len(audio) == MediaFile.objects.get(track=track).size
    assert whole["Content-Type"] == "audio/mpeg"
    part = client.get(f"/tracks/{track.pk}/stream", HTTP_RANGE="bytes=100-1099")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1099/{len(audio)}"
    assert b"".join(part.streaming_content) == audio[100:1100]  # type: ignore[attr-defined]
    # Nothing of the server's address or credentials reaches the browser.
    headers = str(part.headers)
    assert PEER_PASSWORD not in headers and subsonic_peer.base_url not in headers


def test_stream_of_a_stopped_server_is_a_clear_502(
    client: Client, owner: User, source: LibrarySource
) -> None:
    LibrarySource.objects.filter(pk=source.pk).update(base_url="http://127.0.0.1:9")
    client.force_login(owner)
    track = Track.objects.get(title="Sprint")
    response = client.get(f"/tracks/{track.pk}/stream")
    assert response.status_code == 502
    assert b"could not send this track" in response.content


def test_analysis_reads_a_bounded_excerpt_through_the_server(source: LibrarySource, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SUBSONIC_ANALYSIS_EXCERPT_BYTES = 64 * 1024
    media = MediaFile.objects.get(track__title="Night Walk")
    analysed = subsonic_file_analyse(media_file_id=media.pk)
    assert analysed is not None
    media.refresh_from_db()
    assert media.analysed_at is not None, media.analysis_error
    assert Track.objects.get(pk=media.track_id).sound_vector is not None
    assert subsonic_file_analyse(media_file_id=media.pk) is None  # idempotent


def test_link_checks_the_listeners_own_credentials(source: LibrarySource, owner: User) -> None:
    with pytest.raises(ApplicationError, match="refused the credentials"):
        subsonic_link_add(user=owner, source_id=source.pk, username=SECOND_USER, password="nope")
    assert not SubsonicLink.objects.exists()


def test_push_creates_the_playlist_in_the_listeners_account_and_refine_updates_it(
    subsonic_peer: SupysonicPeer,
    owner: User,
    link: SubsonicLink,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    night, sprint = Track.objects.get(title="Night Walk"), Track.objects.get(title="Sprint")
    playlist = playlist_make(owner=owner, prompt="evening run")
    version_make(playlist, tracks=[night, sprint])
    push = playlist_push(playlist=playlist, link=link)
    remote = subsonic_peer.api(
        "getPlaylist", user=SECOND_USER, password=SECOND_PASSWORD, id=push.remote_playlist_id
    )
    assert remote["playlist"]["name"] == "Evening run"
    assert [entry["id"] for entry in remote["playlist"]["entry"]] == [_song_id(night), _song_id(sprint)]
    names = [
        item["name"]
        for item in subsonic_peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)[
            "playlists"
        ].get("playlist", [])
    ]
    assert "Evening run" in names
    # Not in the staff account the library is read with.
    staff_names = [
        item["name"] for item in subsonic_peer.api("getPlaylists")["playlists"].get("playlist", [])
    ]
    assert "Evening run" not in staff_names

    blue = Track.objects.get(title="Blue Room")
    version_make(playlist, tracks=[blue, night])
    updated = subsonic_pushes_refresh(
        user_id=owner.pk,
        playlist_id=playlist.pk,
        name=playlist.name,
        version_number=2,
        track_ids=[blue.pk, night.pk],
    )
    assert updated == 1
    remote = subsonic_peer.api(
        "getPlaylist", user=SECOND_USER, password=SECOND_PASSWORD, id=push.remote_playlist_id
    )
    assert [entry["id"] for entry in remote["playlist"]["entry"]] == [_song_id(blue), _song_id(night)]
    assert SubsonicPush.objects.get(pk=push.pk).version_number == 2

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        playlist_update(playlist=playlist, name="Evening run, renamed")
    assert callbacks  # the pushed copy follows the new name…
    subsonic_pushes_refresh(
        user_id=owner.pk,
        playlist_id=playlist.pk,
        name="Evening run, renamed",
        version_number=2,
        track_ids=[blue.pk, night.pk],
    )
    remote = subsonic_peer.api(
        "getPlaylist", user=SECOND_USER, password=SECOND_PASSWORD, id=push.remote_playlist_id
    )
    assert remote["playlist"]["name"] == "Evening run, renamed"

    playlist_delete(playlist=playlist, delete_pushed=True)
    assert not SubsonicPush.objects.exists()
    names = [
        item["name"]
        for item in subsonic_peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)[
            "playlists"
        ].get("playlist", [])
    ]
    assert not [name for name in names if name.startswith("Evening run")]


def test_plays_made_in_segue_are_scrobbled_with_their_time(
    subsonic_peer: SupysonicPeer,
    owner: User,
    link: SubsonicLink,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    track = Track.objects.get(title="Blue Room")
    played_at = datetime(2026, 3, 1, 20, 15, tzinfo=UTC)
    before = len(subsonic_peer.listens.listens())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events_ingest(
            user=owner,
            events=[
                {
                    "id": str(uuid.uuid4()),
                    "kind": "complete",
                    "track": track.pk,
                    "occurred_at": played_at.isoformat(),
                }
            ],
        )
    assert callbacks  # the scrobble task is queued after the commit
    sent = subsonic_scrobbles_send(
        user_id=owner.pk, plays=[(track.pk, int(played_at.timestamp() * 1000), True)]
    )
    assert sent == 1
    listens = subsonic_peer.listens.listens()[before:]
    assert [(listen["track_metadata"]["track_name"], listen["listened_at"]) for listen in listens] == [
        ("Blue Room", int(played_at.timestamp()))
    ]


def test_no_scrobble_without_listening_history_consent(
    subsonic_peer: SupysonicPeer, owner: User, link: SubsonicLink
) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    track = Track.objects.get(title="Blue Room")
    assert subsonic_scrobbles_send(user_id=owner.pk, plays=[(track.pk, 1_700_000_000_000, True)]) == 0


def test_starred_songs_and_play_counts_import_as_history(
    subsonic_peer: SupysonicPeer, owner: User, link: SubsonicLink
) -> None:
    night = Track.objects.get(title="Night Walk")
    subsonic_peer.api("star", user=SECOND_USER, password=SECOND_PASSWORD, id=_song_id(night))
    report = subsonic_history_import(user=owner, link=link)
    assert report.starred_read == 1
    assert ListeningEvent.objects.filter(user=owner, kind="like", track=night).count() == 1
    again = subsonic_history_import(user=owner, link=link)
    assert again.events_stored == 0 and again.events_already_imported >= 1
    assert SubsonicLink.objects.get(pk=link.pk).last_import_report["starred_read"] == 1
    subsonic_peer.api("unstar", user=SECOND_USER, password=SECOND_PASSWORD, id=_song_id(night))


def test_a_stranger_sees_none_of_a_listeners_link_or_pushes(
    client: Client, owner: User, other_user: User, link: SubsonicLink
) -> None:
    playlist = playlist_make(owner=owner, prompt="mine")
    version_make(playlist, tracks=_tracks()[:1])
    playlist_push(playlist=playlist, link=link)
    stranger_playlist = playlist_make(owner=other_user, prompt="theirs")
    version_make(stranger_playlist, tracks=_tracks()[:1])
    with pytest.raises(ApplicationError):
        playlist_push(playlist=stranger_playlist, link=link)
    with pytest.raises(ApplicationError):
        subsonic_history_import(user=other_user, link=link)
    client.force_login(other_user)
    for url in (
        f"/taste/servers/links/{link.pk}/",
        f"/api/feedback/servers/links/{link.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/taste/servers/links/{link.pk}/unlink/",
        f"/taste/servers/links/{link.pk}/update/",
        f"/taste/servers/links/{link.pk}/import/",
        f"/api/feedback/servers/links/{link.pk}/import/",
        f"/playlists/{playlist.pk}/push/",
    ):
        assert client.post(url, {"link": link.pk}).status_code == 404, url
    page = client.get("/taste/servers/")
    assert page.status_code == 200
    assert SECOND_USER not in page.content.decode()
    listed = client.get("/api/feedback/servers/links/")
    assert listed.json() == []
    patched = client.patch(
        f"/api/feedback/servers/links/{link.pk}/", {"scrobble": False}, content_type="application/json"
    )
    assert patched.status_code == 404
    assert SubsonicLink.objects.get(pk=link.pk).scrobble is True


def test_unlinking_can_delete_the_pushed_playlists(
    subsonic_peer: SupysonicPeer, owner: User, link: SubsonicLink
) -> None:
    playlist = playlist_make(owner=owner, prompt="to be unlinked")
    version_make(playlist, tracks=_tracks()[:2])
    playlist_push(playlist=playlist, link=link)
    outcome = subsonic_link_remove(link=link, delete_pushed=True)
    assert outcome.deleted == 1 and not outcome.failed
    assert not SubsonicLink.objects.exists() and not SubsonicPush.objects.exists()
    names = [
        item["name"]
        for item in subsonic_peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)[
            "playlists"
        ].get("playlist", [])
    ]
    assert "To be unlinked" not in names
