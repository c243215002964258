"""Undo a dislike (issue 19): a dislike on the playlist page swaps in the row's actions with an
Undo at once (htmx), and the undo reverses what the dislike did through the feedback service:
the track is no longer disliked, its affinity is what the other events make it, and the bandit
failure charged to the policy that built the version is given back."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Track
from feedback.ingestion import events_ingest
from feedback.models import ListeningEvent, PolicyStat, TrackAffinity
from feedback.selectors import disliked_tracks
from playlists.models import Playlist, PlaylistVersion
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db

POLICY = "hybrid-v1"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ready(owner: User) -> tuple[Playlist, PlaylistVersion, list[Track]]:
    tracks = [TrackFactory(title=title) for title in ("Blue Room", "Quiet Hours")]
    playlist = playlist_make(owner=owner, prompt="calm jazz")
    return playlist, version_make(playlist, tracks=tracks, policy=POLICY), tracks


def _post(client: Client, name: str, playlist: Playlist, data: dict, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(reverse(f"playlists:{name}", args=[playlist.pk]), data, **headers)


def _failures(user: User | None) -> float:
    return PolicyStat.objects.get(user=user, policy=POLICY).failures


def test_a_dislike_shows_undo_at_once_and_undo_reverses_it(owner: User) -> None:
    playlist, version, tracks = _ready(owner)
    browser = _signed_in(owner)
    row = {"track": tracks[0].pk, "version": version.number}

    disliked = _post(browser, "track_dislike", playlist, row, **HTMX)

    assert disliked.status_code == 200
    html = disliked.content.decode()
    assert 'class="track-actions"' in html
    assert 'data-reaction="dislike"' in html and ">Undo</button>" in html and ">Dislike</button>" not in html
    assert "Won&#x27;t be suggested again." in html
    assert disliked_tracks(user=owner) == {tracks[0].pk}
    assert (_failures(owner), _failures(None)) == (1.0, 1.0)

    undone = _post(browser, "dislike_undo", playlist, row, **HTMX)

    assert undone.status_code == 200
    html = undone.content.decode()
    assert ">Dislike</button>" in html and ">Undo</button>" not in html and 'data-reaction=""' in html
    assert "Dislike undone" in html
    assert disliked_tracks(user=owner) == frozenset()
    assert not ListeningEvent.objects.filter(user=owner, kind="dislike").exists()
    assert not TrackAffinity.objects.filter(user=owner, track=tracks[0]).exists()
    assert (_failures(owner), _failures(None)) == (0.0, 0.0)


def test_undo_keeps_what_the_other_events_of_the_track_did(owner: User) -> None:
    playlist, version, tracks = _ready(owner)
    browser = _signed_in(owner)
    events_ingest(
        user=owner,
        events=[
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "kind": "play",
                "track": tracks[0].pk,
                "occurred_at": "2026-01-01T10:00:00Z",
            }
        ],
    )
    before = TrackAffinity.objects.get(user=owner, track=tracks[0])
    row = {"track": tracks[0].pk, "version": version.number}
    _post(browser, "track_dislike", playlist, row, **HTMX)
    assert TrackAffinity.objects.get(user=owner, track=tracks[0]).disliked

    _post(browser, "dislike_undo", playlist, row, **HTMX)

    after = TrackAffinity.objects.get(user=owner, track=tracks[0])
    assert (after.events, after.disliked) == (1, False)
    assert after.mass == pytest.approx(before.mass)


def test_the_page_shows_undo_for_a_disliked_track_and_a_plain_post_works_without_javascript(
    owner: User,
) -> None:
    playlist, version, tracks = _ready(owner)
    browser = _signed_in(owner)
    row = {"track": tracks[1].pk, "version": version.number}
    _post(browser, "track_dislike", playlist, row)

    page = browser.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert page.count(">Undo</button>") == 1 and page.count("is-dismissed") == 1

    response = _post(browser, "dislike_undo", playlist, row, follow=True)  # type: ignore[arg-type]
    assert "Dislike undone: the track may be suggested again." in response.content.decode()
    assert disliked_tracks(user=owner) == frozenset()


def test_undoing_what_was_not_disliked_is_refused_with_a_reason(owner: User) -> None:
    playlist, version, tracks = _ready(owner)
    browser = _signed_in(owner)

    response = _post(
        browser, "dislike_undo", playlist, {"track": tracks[0].pk, "version": version.number}, **HTMX
    )

    assert response.status_code == 400
    assert "There is no dislike of this track to undo." in response.content.decode()


@pytest.mark.parametrize(
    "row",
    [{}, {"track": "x", "version": "1"}, {"track": "999999", "version": "1"}, {"version": "7", "track": "?"}],
)
def test_a_row_that_is_not_in_the_playlist_is_refused(owner: User, row: dict) -> None:
    playlist, _, _ = _ready(owner)

    response = _post(_signed_in(owner), "track_dislike", playlist, row, **HTMX)

    assert response.status_code == 400
    assert response["HX-Reswap"] == "none"
    assert not ListeningEvent.objects.exists()


def test_another_listeners_playlist_is_not_found(owner: User, other_user: User) -> None:
    playlist, version, tracks = _ready(owner)
    row = {"track": tracks[0].pk, "version": version.number}

    assert _post(_signed_in(other_user), "track_dislike", playlist, row, **HTMX).status_code == 404
    assert _post(_signed_in(other_user), "dislike_undo", playlist, row, **HTMX).status_code == 404
    assert not ListeningEvent.objects.exists()


def test_without_the_listening_history_consent_a_dislike_is_refused(unconsented_user: User) -> None:
    playlist, version, tracks = _ready(unconsented_user)

    response = _post(
        _signed_in(unconsented_user),
        "track_dislike",
        playlist,
        {"track": tracks[0].pk, "version": version.number},
        **HTMX,
    )

    assert response.status_code == 403
    assert not ListeningEvent.objects.exists()


def test_dislike_and_undo_need_a_post(owner: User) -> None:
    playlist, _, _ = _ready(owner)
    browser = _signed_in(owner)
    assert browser.get(reverse("playlists:track_dislike", args=[playlist.pk])).status_code == 405
    assert browser.get(reverse("playlists:dislike_undo", args=[playlist.pk])).status_code == 405
