""" "More like this": order by blended sound and text similarity, the listener's exclusions, removed
files, the artist cap, audio first, and who may start a radio (API and page)."""

from __future__ import annotations

import math
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from catalog.features import EMBEDDING_DIMENSIONS, SOUND_VECTOR_DIMENSIONS
from catalog.models import LibrarySource, LibrarySourceKind, MediaFile, Track
from catalog.radio import track_radio
from catalog.radio_ranking import RadioCandidate, radio_order
from catalog.stream_links import stream_token_allows
from feedback.models import ExclusionKind, TasteExclusion, TrackAffinity
from tests.catalog.factories import TrackFactory


def toward(cosine: float, dimensions: int) -> np.ndarray:
    """A unit vector whose cosine similarity to the first axis (every seed's vector) is ``cosine``."""
    vector = np.zeros(dimensions, dtype=np.float32)
    vector[0] = cosine
    vector[1] = math.sqrt(max(0.0, 1 - cosine**2))
    return vector


def track_make(
    title: str,
    *,
    sound: float | None,
    text: float | None,
    artist: str | None = None,
    audio: bool = True,
    **fields: object,
) -> Track:
    """A track ``sound``/``text`` cosine away from the seed (None: no such vector), with a file."""
    track = TrackFactory(
        title=title,
        artists=[artist or f"{title} Band"],
        sound_vector=None if sound is None else toward(sound, SOUND_VECTOR_DIMENSIONS),
        embedding=None if text is None else toward(text, EMBEDDING_DIMENSIONS),
        **fields,
    )
    if audio:
        media_file_make(track)
    return track


def media_file_make(track: Track, *, removed: bool = False, cover: bytes | None = None) -> MediaFile:
    source, _ = LibrarySource.objects.get_or_create(
        kind=LibrarySourceKind.FOLDER, root="/music", defaults={"name": "Music"}
    )
    return MediaFile.objects.create(
        source=source,
        track=track,
        path=f"{track.pk}-{MediaFile.objects.count()}.flac",
        size=1,
        mtime=0.0,
        audio_format="flac",
        content_type="audio/flac",
        removed_at=timezone.now() if removed else None,
        cover=cover,
    )


@pytest.fixture
def seed(db: None) -> Track:
    return track_make("Seed", sound=1.0, text=1.0, artist="Seed Artist")


def titles(user: User, seed: Track, size: int = 30) -> list[str]:
    return [entry.track.title for entry in track_radio(user=user, track_id=seed.pk, size=size)]


# --- ordering ---------------------------------------------------------------------------------------


def test_radio_orders_by_sound_blended_with_text_and_never_plays_the_seed(owner: User, seed: Track) -> None:
    track_make("Both close", sound=0.9, text=0.9)  # 0.6 * 0.9 + 0.4 * 0.9 = 0.90
    track_make("Sounds alike", sound=1.0, text=0.5)  # 0.80
    track_make("Described alike", sound=0.5, text=1.0)  # 0.70
    track_make("Not analysed yet", sound=None, text=0.75)  # unknown sound: text alone, 0.75
    track_make("Far", sound=0.0, text=0.0)

    entries = track_radio(user=owner, track_id=seed.pk)

    assert [entry.track.title for entry in entries] == [
        "Both close",
        "Sounds alike",
        "Not analysed yet",
        "Described alike",
        "Far",
    ]
    assert [entry.position for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].similarity == pytest.approx(0.9, abs=1e-4)
    assert entries[2].sound_similarity is None
    assert entries[2].text_similarity == pytest.approx(0.75, abs=1e-4)


def test_a_seed_without_a_sound_vector_gets_a_radio_by_text_alone(owner: User) -> None:
    seed = track_make("Metadata seed", sound=None, text=1.0, audio=False)
    track_make("Sounds alike", sound=1.0, text=0.2)
    track_make("Described alike", sound=0.0, text=0.9)

    assert titles(owner, seed) == ["Described alike", "Sounds alike"]


def test_a_seed_with_neither_vector_gets_an_empty_radio(owner: User) -> None:
    seed = track_make("Blank", sound=None, text=None)
    track_make("Other", sound=1.0, text=1.0)

    assert track_radio(user=owner, track_id=seed.pk) == []


def test_tracks_with_audio_come_before_closer_tracks_without(owner: User, seed: Track) -> None:
    track_make("Closest, no file", sound=1.0, text=1.0, audio=False)
    track_make("Playable", sound=0.5, text=0.5)

    entries = track_radio(user=owner, track_id=seed.pk)

    assert [(entry.track.title, entry.has_audio) for entry in entries] == [
        ("Playable", True),
        ("Closest, no file", False),
    ]


def test_at_most_two_tracks_per_artist(owner: User, seed: Track) -> None:
    for n in range(4):
        track_make(f"Prolific {n}", sound=0.99 - n * 0.01, text=0.99 - n * 0.01, artist="Prolific")
    track_make("Someone else", sound=0.5, text=0.5)

    assert titles(owner, seed) == ["Prolific 0", "Prolific 1", "Someone else"]


def test_size_limits_the_radio(owner: User, seed: Track) -> None:
    for n in range(5):
        track_make(f"Track {n}", sound=0.9 - n * 0.1, text=0.9 - n * 0.1)

    assert titles(owner, seed, size=3) == ["Track 0", "Track 1", "Track 2"]


# --- exclusions -------------------------------------------------------------------------------------


def test_the_listeners_disliked_and_left_out_tracks_and_artists_stay_out(
    owner: User, other_user: User, seed: Track
) -> None:
    disliked = track_make("Disliked", sound=0.95, text=0.95)
    left_out = track_make("Left out", sound=0.94, text=0.94)
    by_left_out_artist = track_make("By a left-out artist", sound=0.93, text=0.93, artist="Not For Me")
    track_make("Kept", sound=0.5, text=0.5)
    TrackAffinity.objects.create(
        user=owner, track=disliked, mass=-1.0, events=1, last_event_at=timezone.now(), disliked=True
    )
    TasteExclusion.objects.create(user=owner, kind=ExclusionKind.TRACK, track=left_out)
    TasteExclusion.objects.create(
        user=owner, kind=ExclusionKind.ARTIST, artist=by_left_out_artist.artists.get()
    )

    assert titles(owner, seed) == ["Kept"]
    # Another listener's radio from the same track is theirs: none of it applies.
    assert titles(other_user, seed) == ["Disliked", "Left out", "By a left-out artist", "Kept"]


def test_a_track_whose_files_were_all_removed_stays_out(owner: User, seed: Track) -> None:
    gone = track_make("Gone", sound=0.9, text=0.9, audio=False)
    media_file_make(gone, removed=True)
    moved = track_make("One file left", sound=0.8, text=0.8, audio=False)
    media_file_make(moved, removed=True)
    media_file_make(moved)
    track_make("Never had a file", sound=0.7, text=0.7, audio=False)

    entries = track_radio(user=owner, track_id=seed.pk)

    assert [(entry.track.title, entry.has_audio) for entry in entries] == [
        ("One file left", True),
        ("Never had a file", False),
    ]


# --- pure ordering ----------------------------------------------------------------------------------


def candidate(
    track_id: int, artists: tuple[int, ...], sound: float | None, text: float | None
) -> RadioCandidate:
    return RadioCandidate(track_id, artists, sound, text, has_audio=True)


def test_a_track_counts_against_each_of_its_artists_and_ties_go_by_track_id() -> None:
    ordered = radio_order(
        [
            candidate(5, (1,), 0.9, 0.9),
            candidate(4, (1, 2), 0.9, 0.9),  # a tie with 5: the lower id first
            candidate(3, (2,), 0.8, 0.8),
            candidate(2, (2, 3), 0.7, 0.7),  # artist 2 has had two
            candidate(1, (1,), 0.6, 0.6),  # artist 1 has had two
            candidate(6, (), 0.5, 0.5),
            candidate(7, (9,), None, None),  # nothing known: left out
        ],
        size=10,
    )

    assert [entry.track_id for entry in ordered] == [4, 5, 3, 6]


# --- API ------------------------------------------------------------------------------------------


def test_api_radio_lists_tracks_with_similarities_and_signed_stream_urls(owner: User, seed: Track) -> None:
    playable = track_make("Playable", sound=0.9, text=0.9)
    silent = track_make("Silent", sound=0.95, text=0.95, audio=False)
    api = APIClient()
    api.force_authenticate(owner)

    response = api.get(f"/api/tracks/{seed.pk}/radio/?size=5")

    assert response.status_code == 200
    body = response.json()
    assert body["seed"] == seed.pk and body["count"] == 2
    first, second = body["results"]
    assert (first["id"], first["position"], first["has_audio"]) == (playable.pk, 1, True)
    assert first["artists"] == ["Playable Band"]
    assert first["similarity"] == pytest.approx(0.9, abs=1e-4)
    stream = urlsplit(first["stream_url"])
    assert stream.path == f"/tracks/{playable.pk}/stream"
    assert stream_token_allows(parse_qs(stream.query)["token"][0], track_id=playable.pk)
    assert (second["id"], second["has_audio"], second["stream_url"]) == (silent.pk, False, None)


def test_any_signed_in_listener_may_start_a_radio_but_not_an_anonymous_visitor(
    other_user: User, seed: Track
) -> None:
    track_make("Other", sound=0.9, text=0.9)
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    assert stranger.get(f"/api/tracks/{seed.pk}/radio/").json()["count"] == 1
    assert APIClient().get(f"/api/tracks/{seed.pk}/radio/").status_code == 401


def test_api_radio_refuses_a_bad_size_and_answers_404_for_no_such_track(owner: User, seed: Track) -> None:
    api = APIClient()
    api.force_authenticate(owner)

    assert api.get(f"/api/tracks/{seed.pk}/radio/?size=0").status_code == 400
    assert api.get(f"/api/tracks/{seed.pk}/radio/?size=101").status_code == 400
    assert api.get(f"/api/tracks/{seed.pk + 1000}/radio/").status_code == 404


def test_the_radio_endpoint_is_in_the_openapi_schema(owner: User) -> None:
    api = APIClient()
    api.force_authenticate(owner)

    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/tracks/{track_id}/radio/"]["get"]
    assert operation["operationId"] == "tracks_radio"
    assert "401" in operation["responses"]


# --- page -----------------------------------------------------------------------------------------


class _RowParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs if name.startswith("data-")}
        if tag == "li" and "data-track-id" in found:
            self.rows.append(found)


def player_rows(html: str) -> list[dict[str, str]]:
    """The data attributes of every row the player reads (entities decoded)."""
    parser = _RowParser()
    parser.feed(html)
    return parser.rows


def test_radio_page_rows_carry_the_players_data_attributes(owner_client: Client, seed: Track) -> None:
    playable = track_make("Playable", sound=0.9, text=0.9, duration_ms=181_400, artist="Band & Co")
    MediaFile.objects.filter(track=playable).update(cover=b"\xff\xd8jpeg")
    silent = track_make("Silent", sound=0.8, text=0.8, audio=False, duration_ms=None)

    html = owner_client.get(reverse("catalog:radio", args=[seed.pk])).content.decode()

    assert "More like “Seed”" in html
    assert player_rows(html) == [
        {
            "data-track-id": str(playable.pk),
            "data-stream-url": f"/tracks/{playable.pk}/stream",
            "data-title": "Playable",
            "data-artists": "Band & Co",
            "data-album": "Test Album",
            "data-duration-ms": "181400",
            "data-cover-url": f"/tracks/{playable.pk}/cover",
            "data-position": "1",
        },
        {
            "data-track-id": str(silent.pk),
            "data-stream-url": "",
            "data-title": "Silent",
            "data-artists": "Silent Band",
            "data-album": "Test Album",
            "data-duration-ms": "",
            "data-cover-url": "",
            "data-position": "2",
        },
    ]
    assert "not playable" in html


def test_an_htmx_request_gets_only_the_list(owner_client: Client, seed: Track) -> None:
    track_make("Other", sound=0.9, text=0.9)

    response = owner_client.get(reverse("catalog:radio", args=[seed.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<ol id="radio-list"')
    assert "<html" not in html and "Other" in html
    assert "HX-Request" in response["Vary"]


def test_the_radio_page_needs_no_more_queries_for_more_tracks(owner_client: Client, seed: Track) -> None:
    url = reverse("catalog:radio", args=[seed.pk])
    for n in range(2):
        track_make(f"Early {n}", sound=0.9, text=0.9)
    owner_client.get(url)  # the session and caches warm up
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url)
    for n in range(10):
        track_make(f"Later {n}", sound=0.8, text=0.8)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(url)

    assert response.content.decode().count('class="track-row radio-item') == 12
    assert len(many) == len(few)


def test_radio_page_sends_anonymous_visitors_to_login_and_the_track_page_links_to_it(
    client: Client, owner_client: Client, seed: Track
) -> None:
    url = reverse("catalog:radio", args=[seed.pk])

    response = client.get(url)
    track_page = owner_client.get(reverse("catalog:track", args=[seed.pk])).content.decode()

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert f'href="{url}"' in track_page and "More like this" in track_page
    assert owner_client.get(reverse("catalog:radio", args=[seed.pk + 1000])).status_code == 404
