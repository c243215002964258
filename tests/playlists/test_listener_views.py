"""The listener's pages as a person meets them (issue 19): landing, favicon, skip link, menu,
Enter to submit, readable reasons, plain-word sliders, per-track edits, version diffs."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import LibrarySource, Track
from feedback.models import ListeningEvent
from feedback.services import taste_exclusion_add
from playlists.models import Playlist, PlaylistItem, PlaylistVersion
from playlists.regenerate import regenerate_left_out
from tests.catalog.audio_files import media_file_make, sine_write
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


# --- 12: favicon, skip link, Enter submits -------------------------------------------------


def test_favicon_is_a_real_icon_served_at_the_root(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)


def test_every_page_has_a_skip_link_to_the_main_content(owner_client: Client) -> None:
    html = owner_client.get(reverse("playlists:home")).content.decode()
    assert '<a class="skip-link" href="#content">Skip to content</a>' in html
    assert 'id="content"' in html
    assert 'rel="icon"' in html


def test_the_prompt_box_submits_on_enter(owner_client: Client) -> None:
    html = owner_client.get(reverse("playlists:home")).content.decode()
    assert "data-enter-submits" in html
    assert "Press Enter" in html


# --- 11: the phone menu ----------------------------------------------------------------------


def test_the_header_has_an_accessible_menu_button_for_the_nav(owner_client: Client) -> None:
    html = owner_client.get(reverse("playlists:home")).content.decode()
    assert 'class="nav-toggle" aria-expanded="false" aria-controls="site-menu"' in html
    assert 'id="site-menu"' in html


# --- 1: landing ------------------------------------------------------------------------------


def test_a_logged_out_visit_to_the_root_shows_the_landing_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Segue makes the playlist" in html
    assert reverse("accounts:signup") in html
    assert "For example" in html and "rainy sunday acoustic" in html


def test_a_signed_in_visit_to_the_root_goes_to_the_playlists(owner_client: Client) -> None:
    response = owner_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("playlists:home")


# --- the playlist page: reasons, sliders, edits, diffs ---------------------------------------


def _ready_playlist(owner: User, titles: list[str], **item_extra: object) -> tuple[Playlist, list[Track]]:
    tracks = [TrackFactory(title=title, artists=[f"{title} Band"]) for title in titles]
    playlist = playlist_make(owner=owner, prompt="calm jazz for reading")
    version_make(playlist, tracks=tracks)
    return playlist, tracks


def test_reasons_read_as_words_and_raw_scores_hide_behind_a_toggle(owner_client: Client, owner: User) -> None:
    playlist, tracks = _ready_playlist(owner, ["Blue Room", "Quiet Hours"])
    PlaylistItem.objects.filter(version__playlist=playlist, track=tracks[0]).update(
        reasons=["matches: calm, jazz", "because you play Blue Room Band", "new to you"], score=3.53
    )
    ListeningEvent.objects.create(
        user=owner,
        client_event_id=uuid.uuid4(),
        track=tracks[0],
        kind="like",
        occurred_at=timezone.now(),
        received_at=timezone.now(),
        weight=1.0,
    )

    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "<li>fits: calm, jazz</li>" in html
    assert "<li>because you played Blue Room Band</li>" in html
    assert "<li>new to you</li>" not in html  # liked: not new
    assert "matches:" not in html
    assert '<details class="score-details">' in html and "<meter" not in html


def test_close_to_your_taste_is_kept_for_the_tracks_taste_lifted_most(
    owner_client: Client, owner: User
) -> None:
    playlist, tracks = _ready_playlist(owner, ["One", "Two", "Three", "Four", "Five", "Six"])
    for rank, track in enumerate(tracks):
        PlaylistItem.objects.filter(version__playlist=playlist, track=track).update(
            reasons=["close to your taste"], components={"taste": 1.0 - rank / 10}
        )

    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert html.count("<li>close to your taste</li>") == 2  # the top third of six


def test_sliders_are_named_in_plain_words_with_their_scale(owner_client: Client, owner: User) -> None:
    playlist, _ = _ready_playlist(owner, ["Blue Room"])
    intent = {
        "feature_ranges": {
            "speechiness": {"low": 0.0, "high": 0.08},
            "instrumentalness": {"low": 0.6, "high": 1.0},
        }
    }
    PlaylistVersion.objects.filter(playlist=playlist).update(intent=intent)
    Playlist.objects.filter(pk=playlist.pk).update(intent=intent)

    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert 'Spoken words: <span class="muted">none ↔ lots</span>' in html
    assert 'Vocals: <span class="muted">lots ↔ none</span>' in html
    assert "Speechiness" not in html and "Instrumentalness" not in html
    assert "0.08" not in html.split('class="intent-sliders"')[1].split("</form>")[0].split("<output>")[1]


def test_suggested_refinements_are_one_click_chips(owner_client: Client, owner: User) -> None:
    playlist, _ = _ready_playlist(owner, ["Blue Room"])
    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    for refinement in ("more upbeat", "fewer vocals", "older"):
        assert f'<input type="hidden" name="change" value="{refinement}">' in html


def _titles(playlist: Playlist) -> list[str]:
    latest = playlist.versions.order_by("-number").first()
    assert latest is not None
    return list(latest.items.order_by("position").values_list("track__title", flat=True))


def test_moving_removing_and_adding_a_track_each_make_a_new_version_that_says_what_changed(
    owner_client: Client, owner: User
) -> None:
    playlist, _ = _ready_playlist(owner, ["Alpha", "Beta", "Gamma"])
    extra = TrackFactory(title="Delta Dawn", artists=["Someone Else"])
    edit = reverse("playlists:track_edit", args=[playlist.pk])

    owner_client.post(edit, {"edit": "down", "position": "1"})
    assert _titles(playlist) == ["Beta", "Alpha", "Gamma"]
    owner_client.post(edit, {"edit": "remove", "position": "3"})
    assert _titles(playlist) == ["Beta", "Alpha"]
    found = owner_client.get(reverse("playlists:track_search", args=[playlist.pk]), {"q": "dawn delta"})
    assert f'name="track" value="{extra.pk}"' in found.content.decode()
    owner_client.post(edit, {"edit": "add", "track": str(extra.pk)})
    assert _titles(playlist) == ["Beta", "Alpha", "Delta Dawn"]

    assert playlist.versions.count() == 4
    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert "What changed since version 3: 1 added." in html
    assert "<summary>1 moved.</summary>" in html and "Moved: Alpha" in html
    assert "<summary>1 removed.</summary>" in html and "Removed: Gamma" in html
    assert "Added “Delta Dawn”" in html


def test_replace_picks_the_nearest_track_not_already_there_and_not_disliked(
    owner_client: Client, owner: User
) -> None:
    near = [1.0, 0.0] + [0.0] * 382
    nearer = [0.99, 0.05] + [0.0] * 382
    far = [0.0, 1.0] + [0.0] * 382
    anchor = TrackFactory(title="Anchor", embedding=near)
    kept = TrackFactory(title="Kept", embedding=far)
    TrackFactory(title="Far Away", embedding=far)
    TrackFactory(title="Close Cousin", embedding=nearer)
    playlist = playlist_make(owner=owner, prompt="test")
    version_make(playlist, tracks=[anchor, kept])

    response = owner_client.post(
        reverse("playlists:track_edit", args=[playlist.pk]), {"edit": "replace", "position": "1"}
    )

    assert response.status_code == 302
    assert _titles(playlist) == ["Close Cousin", "Kept"]


def test_replace_finds_a_track_past_many_nearer_ones_the_listener_left_out(
    owner_client: Client, owner: User
) -> None:
    # Fifty nearer tracks excluded: an index walk that stops after its first candidates finds
    # none allowed, the catalog's search still returns the nearest track that is.
    anchor = TrackFactory(title="Anchor", embedding=[1.0, 0.0] + [0.0] * 382)
    for index in range(50):
        near = TrackFactory(title=f"Left out {index}", embedding=[1.0, 0.01 * (index + 1)] + [0.0] * 382)
        taste_exclusion_add(user=owner, track_id=near.pk)
    TrackFactory(title="Allowed", embedding=[0.5, 1.0] + [0.0] * 382)
    playlist = playlist_make(owner=owner, prompt="test")
    version_make(playlist, tracks=[anchor])

    owner_client.post(
        reverse("playlists:track_edit", args=[playlist.pk]), {"edit": "replace", "position": "1"}
    )

    assert _titles(playlist) == ["Allowed"]


def test_a_regenerate_that_kept_everything_says_nothing_changed(owner_client: Client, owner: User) -> None:
    tracks = [TrackFactory(title=title) for title in ("One", "Two")]
    playlist = playlist_make(owner=owner, prompt="test")
    version_make(playlist, tracks=tracks)
    version_make(playlist, tracks=tracks, cause="refine", change="fewer vocals")

    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert html.count("Nothing changed: the same tracks in the same order.") == 2  # header and history


def test_a_stranger_cannot_edit_or_search_another_listeners_playlist(other_user: User, owner: User) -> None:
    playlist, _ = _ready_playlist(owner, ["Alpha", "Beta"])
    client = Client()
    client.force_login(other_user)
    assert (
        client.post(
            reverse("playlists:track_edit", args=[playlist.pk]), {"edit": "remove", "position": "1"}
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("playlists:track_search", args=[playlist.pk]), {"q": "alpha"}).status_code == 404
    )
    assert _titles(playlist) == ["Alpha", "Beta"]


def test_an_edit_of_a_position_that_does_not_exist_is_refused_with_a_message(
    owner_client: Client, owner: User
) -> None:
    playlist, _ = _ready_playlist(owner, ["Alpha"])
    response = owner_client.post(
        reverse("playlists:track_edit", args=[playlist.pk]), {"edit": "remove", "position": "9"}, follow=True
    )
    assert "There is no track at position 9." in response.content.decode()
    assert playlist.versions.count() == 1


# --- 6: regenerate brings fresh tracks -------------------------------------------------------


def test_a_regeneration_leaves_out_the_lower_scored_half_of_the_version_before(owner: User) -> None:
    tracks = [TrackFactory(title=f"T{n}") for n in range(6)]
    playlist = playlist_make(owner=owner, prompt="test")
    first = version_make(playlist, tracks=tracks)
    for rank, track in enumerate(tracks):
        PlaylistItem.objects.filter(version=first, track=track).update(score=1.0 - rank / 10)
    regenerated = version_make(playlist, status="queued", cause="regenerate")
    refined = version_make(playlist, status="queued", cause="refine")

    assert regenerate_left_out(regenerated) == {track.pk for track in tracks[3:]}
    assert regenerate_left_out(refined) == frozenset()


# --- 2: a generated title and a cover ----------------------------------------------------------


def test_a_playlist_gets_a_mood_pattern_cover(owner_client: Client, owner: User) -> None:
    playlist, _ = _ready_playlist(owner, ["Blue Room"])
    Playlist.objects.filter(pk=playlist.pk).update(
        intent={"moods": ["calm"], "include_tags": [{"name": "jazz", "confidence": 0.9}]}
    )

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    home = owner_client.get(reverse("playlists:home")).content.decode()

    assert '<svg class="cover-pattern"' in page and "hsl(200 " in page  # calm: a blue hue
    assert '<svg class="cover-pattern"' in home


def test_the_cover_is_a_mosaic_of_cover_art_where_the_library_has_it(
    owner_client: Client, owner: User, tmp_path: Path
) -> None:
    source = LibrarySource.objects.create(name="Music", root=str(tmp_path))
    tracks = [TrackFactory(title=f"Song {n}") for n in range(5)]
    for n, track in enumerate(tracks):
        sine_write(tmp_path / f"{n}.wav", seconds=0.2, frequency=440.0)
        media_file_make(
            source=source, track=track, relative=f"{n}.wav", duration_ms=200, cover=b"\xff\xd8jpeg"
        )
    playlist = playlist_make(owner=owner, prompt="test")
    version_make(playlist, tracks=tracks)

    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    cover = page.split('class="playlist-cover')[1].split("</div>")[0]
    assert cover.startswith(' is-mosaic"') and cover.count("<img ") == 4


# --- 8: scheduled refreshes are told: tests/playlists/test_refresh_notices.py -------------------


# --- 5: undo a dislike: tests/playlists/test_dislike_undo.py ----------------------------------


def test_a_dragged_track_moves_to_where_it_was_dropped(owner_client: Client, owner: User) -> None:
    playlist, _ = _ready_playlist(owner, ["Alpha", "Beta", "Gamma", "Delta"])
    page = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert 'draggable="true"' in page and "data-reorder-url=" in page

    owner_client.post(
        reverse("playlists:track_edit", args=[playlist.pk]), {"edit": "move", "position": "1", "to": "3"}
    )

    assert _titles(playlist) == ["Beta", "Gamma", "Alpha", "Delta"]
    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()
    assert "Moved “Alpha” to 3" in html and "<summary>1 moved.</summary>" in html
