"""Subsonic sources through the browser pages, the API and the commands, against a real Supysonic;
credentials never show in pages, API answers, logs or exports."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from accounts.exports import export_contents
from accounts.models import ConsentPurpose, User
from accounts.services import consent_withdraw
from catalog.models import LibraryScan, LibrarySource, SubsonicAccount, SubsonicLink, Track
from catalog.subsonic_secrets import secret_decrypt
from catalog.subsonic_services import (
    subsonic_link_add,
    subsonic_source_add,
    subsonic_sync_request,
    subsonic_sync_run,
)
from config.jobs import JobStatus
from feedback.subsonic_history import subsonic_history_import_run
from playlists.services import playlist_push
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SECOND_PASSWORD, SECOND_USER, SupysonicPeer
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def test_staff_add_a_server_in_the_browser_and_see_how_segue_signs_in(
    client: Client,
    staff_user: User,
    subsonic_peer: SupysonicPeer,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/catalog/libraries/",
            {
                "kind": "subsonic",
                "base_url": subsonic_peer.base_url,
                "username": PEER_USER,
                "password": PEER_PASSWORD,
                "name": "Home server",
            },
        )
    assert response.status_code == 302
    source = LibrarySource.objects.get(name="Home server")
    assert LibraryScan.objects.filter(source=source, status=JobStatus.QUEUED).exists()
    page = client.get("/catalog/libraries/").content.decode()
    assert "Home server" in page and "API 1.12.0" in page and "encoded password" in page
    assert PEER_PASSWORD not in page


def test_wrong_password_in_the_form_is_a_form_error(
    client: Client, staff_user: User, subsonic_peer: SupysonicPeer
) -> None:
    client.force_login(staff_user)
    response = client.post(
        "/catalog/libraries/",
        {
            "kind": "subsonic",
            "base_url": subsonic_peer.base_url,
            "username": PEER_USER,
            "password": "wrong-pw",
        },
    )
    assert response.status_code == 400
    assert "refused the credentials" in response.content.decode()
    assert "wrong-pw" not in response.content.decode()
    assert not LibrarySource.objects.exists()


def test_listener_cannot_add_a_server(client: Client, owner: User, subsonic_peer: SupysonicPeer) -> None:
    client.force_login(owner)
    response = client.post(
        "/catalog/libraries/",
        {
            "kind": "subsonic",
            "base_url": subsonic_peer.base_url,
            "username": PEER_USER,
            "password": PEER_PASSWORD,
        },
    )
    assert response.status_code in (403, 404)
    assert not LibrarySource.objects.exists()


def test_api_adds_a_server_without_echoing_the_password(
    api_client: APIClient, staff_user: User, subsonic_peer: SupysonicPeer
) -> None:
    api_client.force_authenticate(user=staff_user)
    response = api_client.post(
        "/api/catalog/libraries/",
        {
            "kind": "subsonic",
            "base_url": subsonic_peer.base_url,
            "username": PEER_USER,
            "password": PEER_PASSWORD,
            "scan": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["auth_mode"] == "password"
    assert PEER_PASSWORD not in response.content.decode()
    wrong = api_client.post(
        "/api/catalog/libraries/",
        {"kind": "subsonic", "base_url": subsonic_peer.base_url, "username": PEER_USER, "password": "x"},
        format="json",
    )
    assert wrong.status_code == 400
    assert "refused" in wrong.content.decode()


def test_command_reads_the_password_from_the_environment_and_imports(
    subsonic_peer: SupysonicPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUBSONIC_PASSWORD", PEER_PASSWORD)
    out = io.StringIO()
    call_command(
        "add_subsonic_source", subsonic_peer.base_url, "--user", PEER_USER, "--no-analysis", stdout=out
    )
    assert "Succeeded: 3 songs read, 3 new" in out.getvalue()
    assert PEER_PASSWORD not in out.getvalue()
    account = SubsonicAccount.objects.get()
    assert secret_decrypt(account.credentials).password == PEER_PASSWORD


def test_command_with_a_wrong_password_says_so(
    subsonic_peer: SupysonicPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUBSONIC_PASSWORD", "not-it")
    with pytest.raises(CommandError, match="refused the credentials"):
        call_command("add_subsonic_source", subsonic_peer.base_url, "--user", PEER_USER)


def test_listener_links_their_account_in_the_browser(
    client: Client, owner: User, subsonic_peer: SupysonicPeer
) -> None:
    source = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    client.force_login(owner)
    page = client.get("/taste/servers/")
    assert f"Link your account on {source.name}" in page.content.decode()
    wrong = client.post(
        f"/taste/servers/{source.pk}/link/",
        {f"s{source.pk}-username": SECOND_USER, f"s{source.pk}-password": "no"},
    )
    assert wrong.status_code == 400 and "refused the credentials" in wrong.content.decode()
    response = client.post(
        f"/taste/servers/{source.pk}/link/",
        {f"s{source.pk}-username": SECOND_USER, f"s{source.pk}-password": SECOND_PASSWORD},
    )
    assert response.status_code == 302
    link = SubsonicLink.objects.get(user=owner)
    detail = client.get(f"/taste/servers/links/{link.pk}/").content.decode()
    assert SECOND_USER in detail and SECOND_PASSWORD not in detail
    listed = client.get("/api/feedback/servers/links/").json()
    assert [item["username"] for item in listed] == [SECOND_USER]
    assert "credentials" not in listed[0] and SECOND_PASSWORD not in json.dumps(listed)


def test_push_from_the_playlist_page_and_stranger_gets_404(
    client: Client, owner: User, other_user: User, subsonic_peer: SupysonicPeer
) -> None:
    source = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    call_sync(source)
    link = subsonic_link_add(user=owner, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD)
    playlist = playlist_make(owner=owner, prompt="pushed from the page")
    version_make(playlist, tracks=list(Track.objects.order_by("title")[:2]))
    client.force_login(owner)
    detail = client.get(f"/playlists/{playlist.pk}/").content.decode()
    assert f"Push to {source.name}" in detail
    response = client.post(f"/playlists/{playlist.pk}/push/", {"link": link.pk})
    assert response.status_code == 302
    names = [
        item["name"]
        for item in subsonic_peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)[
            "playlists"
        ].get("playlist", [])
    ]
    assert "Pushed from the page" in names
    client.force_login(other_user)
    assert client.post(f"/playlists/{playlist.pk}/push/", {"link": link.pk}).status_code == 404
    api = APIClient()
    api.force_authenticate(user=other_user)
    assert (
        api.post(f"/api/playlists/{playlist.pk}/push/", {"link": link.pk}, format="json").status_code == 404
    )
    assert api.get(f"/api/feedback/servers/links/{link.pk}/").status_code == 404
    assert api.delete(f"/api/feedback/servers/links/{link.pk}/").status_code == 404
    assert SubsonicLink.objects.filter(pk=link.pk).exists()


def call_sync(source: LibrarySource) -> None:
    scan = subsonic_sync_request(source_id=source.pk, enqueue=False)
    subsonic_sync_run(scan_id=scan.pk, analyse=False)


def test_no_server_credential_in_logs_or_exports(
    owner: User, subsonic_peer: SupysonicPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    call_sync(source)
    link = subsonic_link_add(user=owner, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD)
    playlist = playlist_make(owner=owner, prompt="export me")
    version_make(playlist, tracks=list(Track.objects.all()[:1]))
    playlist_push(playlist=playlist, link=link)
    hex_password = SECOND_PASSWORD.encode().hex()
    for secret in (PEER_PASSWORD, SECOND_PASSWORD, hex_password, PEER_PASSWORD.encode().hex()):
        assert secret not in caplog.text
    files = export_contents(user=owner)
    text = json.dumps(files, default=str)
    assert SECOND_USER in text  # the link is exported…
    assert "Export me" in text  # …and what was pushed
    assert SECOND_PASSWORD not in text and link.credentials not in text and hex_password not in text


def test_listener_imports_starred_songs_from_the_link_page(
    client: Client,
    owner: User,
    subsonic_peer: SupysonicPeer,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    source = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    call_sync(source)
    link = subsonic_link_add(user=owner, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/taste/servers/links/{link.pk}/import/")
    assert response.status_code == 302 and len(callbacks) == 1
    subsonic_history_import_run(link_id=link.pk)
    page = client.get(f"/taste/servers/links/{link.pk}/").content.decode()
    assert "Last import" in page
    api = APIClient()
    api.force_authenticate(user=owner)
    with django_capture_on_commit_callbacks(execute=False):
        assert api.post(f"/api/feedback/servers/links/{link.pk}/import/").status_code == 202


def test_star_import_without_listening_history_consent_is_refused(
    client: Client, owner: User, subsonic_peer: SupysonicPeer
) -> None:
    source = subsonic_source_add(base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    link = subsonic_link_add(user=owner, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD)
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    client.force_login(owner)
    response = client.post(f"/taste/servers/links/{link.pk}/import/", follow=True)
    assert "needs your listening-history consent" in response.content.decode()
    api = APIClient()
    api.force_authenticate(user=owner)
    assert api.post(f"/api/feedback/servers/links/{link.pk}/import/").status_code == 403
