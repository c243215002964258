"""Erasure and the playlists Segue pushed to a listener's media server, against a real Supysonic:
the copies are deleted there; a server that cannot be reached leaves an anonymous leftover that
staff see and the next sync deletes; unlinking says which copies stayed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from rest_framework.test import APIClient

from accounts import privacy
from accounts.models import ConsentPurpose, User
from accounts.services import account_erase, consent_withdraw, purpose_data_erase
from catalog.models import LibrarySource, SubsonicLink, SubsonicPush, SubsonicPushLeftover, Track
from catalog.subsonic_services import (
    subsonic_link_add,
    subsonic_source_add,
    subsonic_sync_request,
    subsonic_sync_run,
)
from feedback.models import HistoryImport
from feedback.subsonic_history import subsonic_history_import
from playlists.models import Playlist
from playlists.services import playlist_push
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SECOND_PASSWORD, SECOND_USER, SupysonicPeer
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing answers there


def _source(peer: SupysonicPeer, staff: User) -> LibrarySource:
    added = subsonic_source_add(
        base_url=peer.base_url, username=PEER_USER, password=PEER_PASSWORD, user=staff
    )
    _sync(added)
    return added


def _sync(source: LibrarySource) -> None:
    scan = subsonic_sync_request(source_id=source.pk, enqueue=False)
    finished = subsonic_sync_run(scan_id=scan.pk, analyse=False)
    assert finished is not None and finished.status == "succeeded", finished and finished.error


def _link(source: LibrarySource, user: User) -> SubsonicLink:
    return subsonic_link_add(user=user, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD)


def _pushed(user: User, link: SubsonicLink, prompt: str) -> SubsonicPush:
    playlist = playlist_make(owner=user, prompt=prompt)
    version_make(
        playlist, tracks=list(Track.objects.filter(media_files__source=link.source).order_by("title"))[:2]
    )
    return playlist_push(playlist=playlist, link=link)


def _remote_ids(peer: SupysonicPeer) -> set[str]:
    playlists = peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)["playlists"]
    return {str(item["id"]) for item in playlists.get("playlist", [])}


def test_erasure_deletes_the_playlists_pushed_to_the_listeners_server(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User
) -> None:
    link = _link(_source(subsonic_peer, staff_user), owner)
    pushes = [_pushed(owner, link, "erase me first"), _pushed(owner, link, "erase me second")]
    assert {push.remote_playlist_id for push in pushes} <= _remote_ids(subsonic_peer)

    assert account_erase(user_id=owner.pk)

    assert not {push.remote_playlist_id for push in pushes} & _remote_ids(subsonic_peer)
    assert not SubsonicLink.objects.exists() and not SubsonicPush.objects.exists()
    assert not SubsonicPushLeftover.objects.exists()


def test_an_unreachable_server_leaves_an_anonymous_leftover_that_staff_see_and_the_next_sync_deletes(
    peer_factory: Callable[[], SupysonicPeer], staff_user: User, owner: User, client: Client
) -> None:
    peer = peer_factory()
    source = _source(peer, staff_user)
    push = _pushed(owner, _link(source, owner), "left on a stopped server")
    remote_id = push.remote_playlist_id
    peer.stop()

    assert account_erase(user_id=owner.pk)

    assert not User.objects.filter(pk=owner.pk).exists()
    assert not SubsonicLink.objects.exists() and not SubsonicPush.objects.exists()
    leftover = SubsonicPushLeftover.objects.get()
    assert (leftover.source_id, leftover.server_url, leftover.remote_playlist_id, leftover.name) == (
        source.pk,
        peer.base_url,
        remote_id,
        "Left on a stopped server",
    )
    assert "cannot be reached" in leftover.error
    # Nothing in it leads back to the erased listener.
    assert SubsonicPushLeftover not in {relation.model for relation in privacy.user_relations()}

    client.force_login(staff_user)
    page = client.get("/catalog/libraries/").content.decode()
    assert "1 playlist of erased listeners still on the server" in page
    assert "Left on a stopped server" in page and remote_id in page

    peer.start()
    assert remote_id in _remote_ids(peer)
    _sync(source)  # the library's account is no admin: the server refuses, the leftover stays
    refused = SubsonicPushLeftover.objects.get()
    assert refused.attempts == 2 and refused.error and "cannot be reached" not in refused.error
    assert remote_id in _remote_ids(peer)

    peer.cli("user", "setroles", "-A", PEER_USER)  # an admin may delete other users' playlists
    _sync(source)
    assert not SubsonicPushLeftover.objects.exists()
    assert remote_id not in _remote_ids(peer)
    assert "erased listeners" not in client.get("/catalog/libraries/").content.decode()


def test_unlinking_says_which_pushed_copies_could_not_be_deleted(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User, client: Client
) -> None:
    source = _source(subsonic_peer, staff_user)
    link = _link(source, owner)
    push = _pushed(owner, link, "still on the server after unlink")
    LibrarySource.objects.filter(pk=source.pk).update(base_url=UNREACHABLE)
    client.force_login(owner)

    response = client.post(f"/taste/servers/links/{link.pk}/unlink/", {"delete_pushed": "on"})

    assert response.status_code == 302
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Segue no longer holds your credentials" in message
    assert "1 pushed playlist could not be deleted and stays on the server" in message
    assert "“Still on the server after unlink”" in message and "cannot be reached" in message
    assert not SubsonicLink.objects.exists()
    assert push.remote_playlist_id in _remote_ids(subsonic_peer)  # really still there
    subsonic_peer.api(
        "deletePlaylist", user=SECOND_USER, password=SECOND_PASSWORD, id=push.remote_playlist_id
    )


def test_unlinking_a_reachable_server_says_how_many_copies_were_deleted(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User, client: Client
) -> None:
    link = _link(_source(subsonic_peer, staff_user), owner)
    push = _pushed(owner, link, "gone with the link")
    client.force_login(owner)

    response = client.post(f"/taste/servers/links/{link.pk}/unlink/", {"delete_pushed": "on"})

    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.endswith("1 pushed playlist deleted on the server.")
    assert push.remote_playlist_id not in _remote_ids(subsonic_peer)


def test_the_api_unlink_names_the_pushed_copies_it_could_not_delete(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User, api_client: APIClient
) -> None:
    source = _source(subsonic_peer, staff_user)
    link = _link(source, owner)
    push = _pushed(owner, link, "left by the api unlink")
    LibrarySource.objects.filter(pk=source.pk).update(base_url=UNREACHABLE)
    api_client.force_authenticate(owner)

    response = api_client.delete(f"/api/feedback/servers/links/{link.pk}/?delete_pushed=true")

    assert response.status_code == 200
    body = response.json()
    assert body["pushed_deleted"] == 0
    assert body["pushed_left"] == [
        {
            "playlist_id": push.playlist_id,
            "name": "Left by the api unlink",
            "remote_playlist_id": push.remote_playlist_id,
        }
    ]
    assert "cannot be reached" in body["error"]
    assert not SubsonicLink.objects.exists()
    assert push.remote_playlist_id in _remote_ids(subsonic_peer)  # really still there
    subsonic_peer.api(
        "deletePlaylist", user=SECOND_USER, password=SECOND_PASSWORD, id=push.remote_playlist_id
    )


def test_the_api_unlink_that_deletes_every_pushed_copy_answers_204(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User, other_user: User, api_client: APIClient
) -> None:
    link = _link(_source(subsonic_peer, staff_user), owner)
    push = _pushed(owner, link, "gone with the api unlink")
    api_client.force_authenticate(other_user)
    assert api_client.delete(f"/api/feedback/servers/links/{link.pk}/?delete_pushed=true").status_code == 404
    assert push.remote_playlist_id in _remote_ids(subsonic_peer)
    api_client.force_authenticate(owner)
    assert api_client.delete(f"/api/feedback/servers/links/{link.pk}/?delete_pushed=maybe").status_code == 400
    assert SubsonicLink.objects.filter(pk=link.pk).exists()

    response = api_client.delete(f"/api/feedback/servers/links/{link.pk}/?delete_pushed=true")

    assert response.status_code == 204
    assert not SubsonicLink.objects.exists()
    assert push.remote_playlist_id not in _remote_ids(subsonic_peer)


def test_deleting_a_playlist_whose_pushed_copy_stays_says_so_in_the_api_and_on_the_page(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User, api_client: APIClient, client: Client
) -> None:
    source = _source(subsonic_peer, staff_user)
    link = _link(source, owner)
    by_api = _pushed(owner, link, "left by the api delete")
    by_page = _pushed(owner, link, "left by the page delete")
    LibrarySource.objects.filter(pk=source.pk).update(base_url=UNREACHABLE)
    api_client.force_authenticate(owner)
    url = f"/api/playlists/{by_api.playlist_id}/"
    assert api_client.delete(f"{url}?delete_pushed=maybe").status_code == 400
    assert Playlist.objects.filter(pk=by_api.playlist_id).exists()

    response = api_client.delete(f"{url}?delete_pushed=true")

    assert response.status_code == 200
    body = response.json()
    assert body["pushed_deleted"] == 0
    assert [copy["remote_playlist_id"] for copy in body["pushed_left"]] == [by_api.remote_playlist_id]
    assert "cannot be reached" in body["error"]
    client.force_login(owner)
    response = client.post(f"/playlists/{by_page.playlist_id}/delete/", {"delete_pushed": "on"})
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.startswith("Deleted “Left by the page delete”.")
    assert "1 pushed playlist could not be deleted and stays on the server" in message
    assert not Playlist.objects.filter(pk__in=[by_api.playlist_id, by_page.playlist_id]).exists()
    assert not SubsonicPush.objects.exists()
    assert {by_api.remote_playlist_id, by_page.remote_playlist_id} <= _remote_ids(subsonic_peer)
    for push in (by_api, by_page):
        subsonic_peer.api(
            "deletePlaylist", user=SECOND_USER, password=SECOND_PASSWORD, id=push.remote_playlist_id
        )


def test_deleting_a_playlist_with_its_pushed_copy_answers_204_and_the_copy_is_gone(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User, api_client: APIClient
) -> None:
    push = _pushed(owner, _link(_source(subsonic_peer, staff_user), owner), "gone with the api delete")
    api_client.force_authenticate(owner)

    response = api_client.delete(f"/api/playlists/{push.playlist_id}/?delete_pushed=true")

    assert response.status_code == 204
    assert push.remote_playlist_id not in _remote_ids(subsonic_peer)


def test_erasing_listening_history_clears_the_star_import_report(
    subsonic_peer: SupysonicPeer, staff_user: User, owner: User
) -> None:
    link = _link(_source(subsonic_peer, staff_user), owner)
    song_id = str(link.source.files.order_by("path").values_list("path", flat=True)[0])
    subsonic_peer.api("star", user=SECOND_USER, password=SECOND_PASSWORD, id=song_id)
    try:
        subsonic_history_import(user=owner, link=link)
    finally:
        subsonic_peer.api("unstar", user=SECOND_USER, password=SECOND_PASSWORD, id=song_id)
    link.refresh_from_db()
    assert link.last_import_report["starred_read"] == 1 and link.last_import_at is not None

    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    purpose_data_erase(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)

    link.refresh_from_db()
    assert link.last_import_report == {} and link.last_import_at is None
    assert not HistoryImport.objects.filter(user=owner).exists()
    assert SubsonicLink.objects.filter(pk=link.pk).exists()  # the link itself is not history
