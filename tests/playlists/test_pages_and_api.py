"""Playlist pages and API around generation: input rules, ownership, history, settings, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from playlists import services
from playlists.models import Playlist, PlaylistVersion, RefreshSchedule, VersionCause, VersionStatus
from tests.broker import broker_purge, queued_calls
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


GENERATE_VERSION = "playlists.tasks.generate_version"


@pytest.fixture(autouse=True)
def empty_broker() -> Iterator[None]:
    """Queueing is checked here, in the test broker; generation itself is tested with the real
    engine and worker elsewhere, so what is queued is dropped after each test."""
    broker_purge()
    yield
    broker_purge()


@pytest.fixture
def api(owner: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=owner)
    return client


# --- input rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("", "Describe the playlist"),
        ("   \n ", "Describe the playlist"),
        ("🎷🎶 !!! ???", "no words"),
        ("x" * 2001, "keep it under 2,000"),
    ],
)
def test_a_prompt_without_words_or_too_long_is_refused_and_nothing_is_saved(
    api: APIClient, prompt: str, message: str
) -> None:
    response = api.post("/api/playlists/", {"prompt": prompt}, format="json")

    assert response.status_code == 400
    assert message.lower() in json.dumps(response.json(), ensure_ascii=False).lower()
    assert not Playlist.objects.exists()


@pytest.mark.parametrize("size", [0, 201, -5])
def test_a_size_out_of_range_is_refused(api: APIClient, size: int) -> None:
    response = api.post("/api/playlists/", {"prompt": "jazz", "size": size}, format="json")

    assert response.status_code == 400
    assert "size" in response.json()
    assert not Playlist.objects.exists()


def test_creating_answers_202_with_a_status_url_and_queues_generation(
    api: APIClient, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/playlists/",
            {"prompt": "  upbeat   workout mix ", "size": 20, "new_only": True},
            format="json",
        )

    assert response.status_code == 202
    body = response.json()
    playlist = Playlist.objects.get(pk=body["id"])
    assert playlist.prompt == "upbeat workout mix"
    assert playlist.name == "Upbeat workout mix"
    assert (playlist.size, playlist.new_only) == (20, True)
    assert body["status"] == "queued"
    assert body["status_url"].endswith(f"/api/playlists/{playlist.pk}/status/")
    assert response["Location"] == body["status_url"]
    assert queued_calls(GENERATE_VERSION) == [((playlist.versions.get().pk,), {})]


def test_script_in_a_prompt_renders_inert(owner_client: Client, owner: User) -> None:
    playlist = playlist_make(owner=owner, prompt="<script>alert(1)</script> jazz")
    version_make(playlist, tracks=[TrackFactory()])

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_home_page_shows_the_prompt_box_examples_and_my_playlists(
    owner_client: Client, owner: User, other_user: User
) -> None:
    playlist_make(owner=owner, prompt="mine: rainy day jazz")
    playlist_make(owner=other_user, prompt="theirs: death metal")

    page = owner_client.get(reverse("playlists:home")).content.decode()

    assert 'name="prompt"' in page
    assert "relaxing evening jazz" in page
    assert "rainy day jazz" in page
    assert "death metal" not in page


def test_the_form_shows_an_empty_prompt_error(owner_client: Client) -> None:
    response = owner_client.post(reverse("playlists:create"), {"prompt": ""})

    assert response.status_code == 400
    assert "Describe the playlist you want" in response.content.decode()


# --- ownership ------------------------------------------------------------------------------------


def test_another_listeners_playlist_is_a_404_everywhere(owner: User, other_user: User) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory()])
    stranger = Client()
    stranger.force_login(other_user)
    api = APIClient()
    api.force_authenticate(user=other_user)

    pages = ["detail", "status"]
    for name in pages:
        assert stranger.get(reverse(f"playlists:{name}", args=[playlist.pk])).status_code == 404
    assert stranger.get(reverse("playlists:export", args=[playlist.pk, "jspf"])).status_code == 404
    for name in ["refine", "regenerate", "delete", "settings", "intent_edit"]:
        assert (
            stranger.post(reverse(f"playlists:{name}", args=[playlist.pk]), {"change": "x"}).status_code
            == 404
        )
    for url in [
        f"/api/playlists/{playlist.pk}/",
        f"/api/playlists/{playlist.pk}/status/",
        f"/api/playlists/{playlist.pk}/versions/",
        f"/api/playlists/{playlist.pk}/export/m3u8/",
    ]:
        assert api.get(url).status_code == 404
    assert api.post(f"/api/playlists/{playlist.pk}/refine/", {"change": "more jazz"}).status_code == 404
    assert api.delete(f"/api/playlists/{playlist.pk}/").status_code == 404
    assert api.get("/api/playlists/").json()["count"] == 0
    assert Playlist.objects.filter(pk=playlist.pk).exists()
    assert playlist.versions.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(owner: User) -> None:
    response = Client().get(reverse("playlists:home"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert APIClient().get("/api/playlists/").status_code in (401, 403)


# --- reading, history, refine, settings -------------------------------------------------------------


def test_the_api_returns_items_with_reasons_and_external_ids(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    tracks = [TrackFactory(spotify_uri=f"spotify:track:{n}") for n in range(3)]
    version_make(playlist, tracks=tracks, relaxed=["Fewer than 30 tracks match; the playlist has 3."])

    body = api.get(f"/api/playlists/{playlist.pk}/").json()

    assert [item["track"]["id"] for item in body["items"]] == [track.pk for track in tracks]
    assert body["items"][0]["reasons"] == ["matches: jazz"]
    assert body["items"][0]["track"]["spotify_uri"] == "spotify:track:0"
    assert body["version"]["status"] == "ready"
    assert body["version"]["relaxed"] == ["Fewer than 30 tracks match; the playlist has 3."]


def test_the_page_shows_tracks_reasons_and_what_was_relaxed(owner_client: Client, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    track = TrackFactory(title="Blue in Green", audio_url="https://example.org/blue.mp3")
    version_make(playlist, tracks=[track], relaxed=["No track is over 400 BPM; the fastest ones were used."])

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "Blue in Green" in page
    assert "fits: jazz" in page  # reasons read as words (issue 19)
    assert '<audio class="preview" controls preload="none" src="https://example.org/blue.mp3">' in page
    assert "No track is over 400 BPM" in page


def test_version_history_says_what_each_version_added_and_removed(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    kept, dropped, added = (
        TrackFactory(title="Kept"),
        TrackFactory(title="Dropped"),
        TrackFactory(title="Added"),
    )
    version_make(playlist, tracks=[kept, dropped])
    version_make(playlist, tracks=[kept, added], cause=VersionCause.REFINE, change="less sad")

    history = api.get(f"/api/playlists/{playlist.pk}/versions/").json()

    assert history[0]["number"] == 2
    assert (history[0]["added"], history[0]["removed"]) == (1, 1)
    assert history[0]["added_titles"] == ["Added"]
    assert history[0]["removed_titles"] == ["Dropped"]
    assert history[1]["added"] == 2


def test_refine_queues_a_new_version_from_the_current_intent(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory()], intent={"semantic_text": "jazz", "marker": 1})

    response = api.post(
        f"/api/playlists/{playlist.pk}/refine/", {"change": "less sad, more upbeat"}, format="json"
    )

    assert response.status_code == 202
    new = playlist.versions.get(number=2)
    assert (new.cause, new.change, new.status) == (
        VersionCause.REFINE,
        "less sad, more upbeat",
        VersionStatus.QUEUED,
    )
    assert new.intent == {"semantic_text": "jazz", "marker": 1}


def test_refine_before_any_version_is_ready_says_so(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, status=VersionStatus.QUEUED)

    response = api.post(f"/api/playlists/{playlist.pk}/refine/", {"change": "more upbeat"}, format="json")

    assert response.status_code == 400
    assert "no finished version" in response.json()["detail"]
    assert playlist.versions.count() == 1


def test_a_failed_version_shows_its_reason_and_can_be_retried(
    owner_client: Client, owner: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    playlist = playlist_make(owner=owner)
    failed = version_make(playlist, status=VersionStatus.FAILED, error="The prompt has no words in it.")

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert "The prompt has no words in it." in page
    assert "Try again" in page

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("playlists:retry", args=[playlist.pk, failed.number]))
    failed.refresh_from_db()
    assert failed.status == VersionStatus.QUEUED
    assert failed.error == ""
    assert queued_calls(GENERATE_VERSION) == [((failed.pk,), {})]


def test_rename_and_schedule_a_weekly_refresh(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)

    response = api.patch(
        f"/api/playlists/{playlist.pk}/", {"name": "Sunday", "refresh": "weekly"}, format="json"
    )

    assert response.status_code == 200
    playlist.refresh_from_db()
    assert playlist.name == "Sunday"
    assert playlist.refresh == RefreshSchedule.WEEKLY
    assert playlist.next_refresh_at is not None
    assert timedelta(days=6) < playlist.next_refresh_at - timezone.now() <= timedelta(days=7)
    assert api.patch(f"/api/playlists/{playlist.pk}/", {"name": "  "}, format="json").status_code == 400
    assert (
        api.patch(f"/api/playlists/{playlist.pk}/", {"refresh": "hourly"}, format="json").status_code == 400
    )


def test_due_refreshes_are_queued_once_and_rescheduled(owner: User) -> None:
    now = timezone.now()
    due = playlist_make(
        owner=owner, refresh=RefreshSchedule.DAILY, next_refresh_at=now - timedelta(minutes=1)
    )
    version_make(due, tracks=[TrackFactory()])
    later = playlist_make(
        owner=owner, refresh=RefreshSchedule.DAILY, next_refresh_at=now + timedelta(hours=3)
    )
    version_make(later, tracks=[TrackFactory()])

    assert services.playlists_refresh_due(now=now) == 1
    assert services.playlists_refresh_due(now=now) == 0

    refreshed = due.versions.get(number=2)
    assert refreshed.cause == VersionCause.REFRESH
    due.refresh_from_db()
    assert due.next_refresh_at == now + timedelta(days=1)
    assert later.versions.count() == 1


def test_delete_removes_the_playlist_and_its_versions(owner_client: Client, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory()])

    response = owner_client.post(reverse("playlists:delete", args=[playlist.pk]), {"confirm": "on"})

    assert response.status_code == 302
    assert not Playlist.objects.exists()
    assert not PlaylistVersion.objects.exists()


# --- export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("export_format", "marker"), [("jspf", '"playlist"'), ("xspf", "<playlist"), ("m3u8", "#EXTM3U")]
)
def test_export_downloads_the_version_in_each_format(
    owner_client: Client, owner: User, export_format: str, marker: str
) -> None:
    playlist = playlist_make(owner=owner, prompt="rainy sunday")
    version_make(playlist, tracks=[TrackFactory(title="Blue in Green")])

    response = owner_client.get(reverse("playlists:export", args=[playlist.pk, export_format]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="rainy-sunday.{export_format}"'
    body = response.content.decode()
    assert marker in body
    assert "Blue in Green" in body


def test_export_of_an_unknown_format_or_an_unfinished_playlist_is_refused(
    api: APIClient, owner: User
) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, status=VersionStatus.RUNNING)

    assert api.get(f"/api/playlists/{playlist.pk}/export/pdf/").status_code == 404
    response = api.get(f"/api/playlists/{playlist.pk}/export/jspf/")
    assert response.status_code == 409
    assert "no finished version" in response.content.decode()


def test_the_playlist_endpoints_are_in_the_openapi_schema(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in [
        "/api/playlists/",
        "/api/playlists/{playlist_id}/status/",
        "/api/playlists/{playlist_id}/refine/",
        "/api/playlists/{playlist_id}/export/{export_format}/",
    ]:
        assert path in schema


def test_the_page_shows_which_tracks_the_listener_liked_or_disliked(
    owner_client: Client, owner: User
) -> None:
    import uuid

    from feedback.ingestion import events_ingest

    liked, disliked, untouched = TrackFactory(), TrackFactory(), TrackFactory()
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[liked, disliked, untouched])
    when = (timezone.now() - timedelta(minutes=1)).isoformat()
    events_ingest(
        user=owner,
        events=[
            {"id": str(uuid.uuid4()), "kind": "dislike", "track": liked.pk, "occurred_at": when},
            {
                "id": str(uuid.uuid4()),
                "kind": "like",
                "track": liked.pk,
                "occurred_at": timezone.now().isoformat(),
            },
            {"id": str(uuid.uuid4()), "kind": "dislike", "track": disliked.pk, "occurred_at": when},
        ],
    )

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert page.count('data-kind="like" aria-pressed="true"') == 1
    assert f'aria-pressed="true" aria-label="Like {liked.title}"' in page
    # A disliked track offers its Undo in place of the Dislike button.
    assert page.count('class="feedback-undo"') == 1
    assert f'aria-label="Undo the dislike of {disliked.title}"' in page
    assert f'aria-label="Dislike {liked.title}: never suggest it again"' in page


def test_a_due_refresh_of_a_playlist_never_generated_waits_instead_of_stopping_the_sweep(owner: User) -> None:
    now = timezone.now()
    failed = playlist_make(
        owner=owner, refresh=RefreshSchedule.DAILY, next_refresh_at=now - timedelta(hours=1)
    )
    version_make(failed, status=VersionStatus.FAILED, error="no catalog")
    due = playlist_make(owner=owner, refresh=RefreshSchedule.DAILY, next_refresh_at=now - timedelta(hours=1))
    version_make(due, tracks=[TrackFactory()])

    assert services.playlists_refresh_due(now=now) == 1

    assert failed.versions.count() == 1
    failed.refresh_from_db()
    assert failed.next_refresh_at == now + timedelta(days=1)
    assert due.versions.count() == 2


# --- honest replies -------------------------------------------------------------------------------

HONEST_INTENT = {
    "semantic_text": "asdf qwerty like radiohead",
    "not_understood": ["asdf", "qwerty"],
    "unknown_artists": ["Radiohead"],
    "warnings": ["Radiohead is not in your library; used its style: alternative rock, rock, electronic"],
    "replaced": ["lo-fi hip hop (now: less lo-fi hip hop)"],
}


def test_the_page_says_what_was_not_understood_unknown_artists_and_replaced_wishes(
    owner_client: Client, owner: User
) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory(title="Blue in Green")], intent=HONEST_INTENT)

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "Segue did not understand: asdf, qwerty" in page
    assert "Radiohead is not in your library; used its style: alternative rock, rock, electronic" in page
    assert "Replaced by your change: lo-fi hip hop (now: less lo-fi hip hop)" in page


def test_the_api_says_what_was_not_understood(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory()], intent=HONEST_INTENT)

    understanding = api.get(f"/api/playlists/{playlist.pk}/").json()["version"]["understanding"]

    assert understanding["not_understood"] == ["asdf", "qwerty"]
    assert understanding["unknown_artists"] == ["Radiohead"]
    assert understanding["replaced"] == ["lo-fi hip hop (now: less lo-fi hip hop)"]
    assert understanding["lines"][0] == "Segue did not understand: asdf, qwerty"


def test_a_version_stored_before_these_notes_existed_reads_as_understood(api: APIClient, owner: User) -> None:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory()], intent={"semantic_text": "jazz"})

    understanding = api.get(f"/api/playlists/{playlist.pk}/").json()["version"]["understanding"]

    assert understanding["lines"] == []
    assert understanding["language"] == "en"


def test_a_prompt_nothing_was_understood_of_offers_suggestions_and_no_retry(
    owner_client: Client, owner: User
) -> None:
    playlist = playlist_make(owner=owner, prompt="asdf qwerty")
    version_make(
        playlist,
        status=VersionStatus.FAILED,
        error="Segue did not understand: asdf, qwerty. Try a genre, a mood, an activity or an era, "
        "e.g. “relaxing evening jazz”.",
    )

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "No playlist made." in page
    assert "Segue did not understand: asdf, qwerty." in page
    assert "relaxing evening jazz" in page
    assert "Try again" not in page


@pytest.mark.model
def test_nothing_understood_fails_the_version_with_suggestions_and_stores_no_tracks(
    catalog: dict, owner: User
) -> None:
    playlist = playlist_make(owner=owner, prompt="asdf qwerty")
    intent = {
        "semantic_text": "asdf qwerty",
        "not_understood": ["asdf", "qwerty"],
        "nothing_understood": True,
    }
    version = version_make(playlist, status=VersionStatus.QUEUED, cause=VersionCause.EDIT, intent=intent)

    services.playlist_version_build(version_id=version.pk)

    version.refresh_from_db()
    assert version.status == VersionStatus.FAILED
    assert version.not_understood
    assert version.error.startswith("Segue did not understand: asdf, qwerty.")
    assert not version.items.exists()
    client = APIClient()
    client.force_authenticate(user=owner)
    status = client.get(f"/api/playlists/{playlist.pk}/status/").json()
    assert status["status"] == "failed" and status["not_understood"] is True
    assert "relaxing evening jazz" in status["error"]


@pytest.mark.model
def test_a_refine_that_adds_nothing_understood_leaves_the_playlist_unchanged_and_says_so(
    catalog: dict, owner_client: Client, owner: User
) -> None:
    playlist = playlist_make(owner=owner, prompt="calm jazz")
    jazz = {
        "semantic_text": "calm jazz",
        "include_tags": [{"name": "jazz", "confidence": 0.9, "source": "jazz"}],
    }
    version_make(playlist, tracks=[catalog["Blue Night 1"]], intent=jazz)

    refine = services.playlist_refine(playlist=playlist, change="zzzz")
    services.playlist_version_build(version_id=refine.pk)

    refine.refresh_from_db()
    assert refine.status == VersionStatus.FAILED and refine.not_understood
    assert refine.error.startswith("Segue did not understand")
    assert "zzzz" in refine.error and "The playlist is unchanged." in refine.error
    playlist.refresh_from_db()
    assert playlist.intent == jazz
    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert "Nothing changed." in page
    assert "Blue Night 1" in page
    assert "Try again" not in page


def test_an_over_long_prompt_in_the_form_is_an_error_not_a_silent_cut(owner_client: Client) -> None:
    home = owner_client.get(reverse("playlists:home")).content.decode()
    assert "maxlength" not in home.split('name="prompt"')[1].split(">")[0]

    response = owner_client.post(reverse("playlists:create"), {"prompt": "j" * 5000})

    assert response.status_code == 400
    assert "The prompt is too long (5000 characters); keep it under 2000." in response.content.decode()
    assert not Playlist.objects.exists()
