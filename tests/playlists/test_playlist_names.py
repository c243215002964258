"""A playlist's name is its generated title (issue 19): set when a version is made, following each
new version until the listener renames it; pages, API and exports all show that one name."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.exports import export_contents
from accounts.models import User
from accounts.services import account_erase
from catalog.models import Track
from playlists import services
from playlists.models import Playlist, PlaylistVersion
from playlists.presentation import generated_title
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db

CALM_JAZZ = {"moods": ["calm"], "include_tags": [{"name": "jazz", "confidence": 0.9}]}


def _built(playlist: Playlist) -> Playlist:
    """Build the playlist's newest queued version with the real engine; the playlist reread."""
    version = playlist.versions.order_by("-number").first()
    assert version is not None
    services.playlist_version_build(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == "ready", version.error
    return Playlist.objects.get(pk=playlist.pk)


@pytest.mark.model
def test_a_new_playlist_is_named_by_its_generated_title_once_its_first_version_is_made(
    catalog: dict[str, Track], owner: User, owner_client: Client
) -> None:
    playlist = services.playlist_create(owner=owner, prompt="calm jazz for reading")
    assert playlist.name == "Calm jazz for reading"  # until the first version is made

    playlist = _built(playlist)

    assert playlist.name == generated_title(prompt=playlist.prompt, intent=playlist.intent)
    assert playlist.name.startswith("Chill Jazz ")  # "calm" is read as the mood "chill"
    assert not playlist.named_by_listener
    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert f"<h1>{playlist.name}</h1>" in page and f"<title>{playlist.name} · Segue</title>" in page
    assert playlist.name in owner_client.get(reverse("playlists:home")).content.decode()
    api = APIClient()
    api.force_authenticate(user=owner)
    assert api.get(f"/api/playlists/{playlist.pk}/").json()["name"] == playlist.name


@pytest.mark.model
def test_the_name_follows_each_new_version_until_the_listener_renames_the_playlist(
    catalog: dict[str, Track], owner: User
) -> None:
    playlist = _built(services.playlist_create(owner=owner, prompt="calm jazz"))
    first_name = playlist.name

    services.playlist_refine(playlist=playlist, change="more upbeat")
    playlist = _built(playlist)
    assert playlist.name == generated_title(prompt=playlist.prompt, intent=playlist.intent)
    assert first_name.startswith("Chill Jazz ") and playlist.name.startswith("Upbeat Jazz ")

    services.playlist_update(playlist=playlist, name="Sunday reading")
    services.playlist_refine(playlist=playlist, change="more calm")
    playlist = _built(playlist)

    assert playlist.name == "Sunday reading"
    assert playlist.named_by_listener


def test_saving_settings_with_the_name_unchanged_is_not_a_rename(owner: User) -> None:
    playlist = playlist_make(owner=owner, prompt="calm jazz")

    services.playlist_update(playlist=playlist, name=playlist.name, refresh="weekly")
    playlist.refresh_from_db()
    assert not playlist.named_by_listener

    services.playlist_update(playlist=playlist, name="Mine")
    playlist.refresh_from_db()
    assert playlist.named_by_listener and playlist.name == "Mine"


def test_renaming_on_the_page_keeps_the_listeners_name_and_a_blank_name_is_refused(
    owner: User, owner_client: Client
) -> None:
    playlist = playlist_make(owner=owner, prompt="calm jazz")
    version_make(playlist, tracks=[TrackFactory()])
    url = reverse("playlists:settings", args=[playlist.pk])

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert "follows each new version until you rename it" in page  # the shared field template's hint

    refused = owner_client.post(url, {"name": "   ", "refresh": "never"})
    assert refused.status_code == 400
    assert 'class="field has-error"' in refused.content.decode()
    assert "A playlist needs a name." in refused.content.decode()

    owner_client.post(url, {"name": "Reading room", "refresh": "never"})
    playlist.refresh_from_db()
    assert (playlist.name, playlist.named_by_listener) == ("Reading room", True)


def test_a_name_given_at_creation_is_the_listeners(owner: User) -> None:
    playlist = services.playlist_create(owner=owner, prompt="calm jazz", name="Reading room")
    assert playlist.named_by_listener and playlist.name == "Reading room"


def test_the_export_carries_the_new_fields_and_erasure_removes_them(owner: User) -> None:
    playlist = playlist_make(owner=owner, prompt="calm jazz", name="Calm Jazz Hours")
    version_make(playlist, tracks=[TrackFactory()])
    version_make(playlist, tracks=[TrackFactory()], cause="refresh", notice_dismissed_at=timezone.now())

    rows = export_contents(user=owner)["data/playlists.playlist.json"]
    versions = export_contents(user=owner)["data/playlists.playlistversion.json"]

    assert rows[0]["fields"]["name"] == "Calm Jazz Hours"
    assert rows[0]["fields"]["named_by_listener"] is False
    assert sorted(row["fields"]["notice_dismissed_at"] is not None for row in versions) == [False, True]

    assert account_erase(user_id=owner.pk)
    assert not Playlist.objects.filter(pk=playlist.pk).exists()
    assert not PlaylistVersion.objects.filter(playlist_id=playlist.pk).exists()


def test_the_migration_names_playlists_still_on_their_prompt_name_by_their_generated_title(
    owner: User,
) -> None:
    migration = importlib.import_module(
        "playlists.migrations.0002_playlist_named_by_listener_version_notice_dismissed_at"
    )
    default = Playlist.objects.create(
        owner=owner, name="Calm jazz for reading", prompt="calm jazz for reading", intent=CALM_JAZZ
    )
    cut = Playlist.objects.create(
        owner=owner, name="Calm jazz for…", prompt="calm jazz for a long evening", intent=CALM_JAZZ
    )
    renamed = Playlist.objects.create(owner=owner, name="Sunday", prompt="calm jazz", intent=CALM_JAZZ)
    never_built = Playlist.objects.create(owner=owner, name="Calm jazz", prompt="calm jazz")

    migration.names_from_generated_titles(apps, None)

    for playlist in (default, cut, renamed, never_built):
        playlist.refresh_from_db()
    assert default.name == generated_title(prompt=default.prompt, intent=CALM_JAZZ)
    assert cut.name == generated_title(prompt=cut.prompt, intent=CALM_JAZZ)
    assert default.name.startswith("Calm Jazz") and not default.named_by_listener
    assert (renamed.name, renamed.named_by_listener) == ("Sunday", True)
    assert (never_built.name, never_built.named_by_listener) == ("Calm jazz", False)
