"""Staff fix catalog metadata in the admin (/admin/catalog/…): every change is audited in the
desk's audit log and the affected tracks' embedding documents follow."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from catalog.models import Artist, Tag, Track, TrackArtist
from editorial.models import AuditEntry
from tests.catalog.factories import ArtistFactory, TagFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def _track_form(track: Track, **changes: Any) -> dict[str, Any]:
    """The admin change form as the page posts it, with this track's credits and tags."""
    credits = list(TrackArtist.objects.filter(track=track).order_by("position"))
    tag_links = list(track.track_tags.all())
    data: dict[str, Any] = {
        "title": track.title,
        "album": track.album,
        "release_year": track.release_year or "",
        "duration_ms": track.duration_ms or "",
        "popularity": "" if track.popularity is None else track.popularity,
        "isrc": track.isrc,
        "musicbrainz_recording_id": "",
        "spotify_uri": track.spotify_uri,
        "audio_url": track.audio_url,
        "track_artists-TOTAL_FORMS": len(credits),
        "track_artists-INITIAL_FORMS": len(credits),
        "track_tags-TOTAL_FORMS": len(tag_links),
        "track_tags-INITIAL_FORMS": len(tag_links),
    }
    for index, credit in enumerate(credits):
        data[f"track_artists-{index}-id"] = credit.pk
        data[f"track_artists-{index}-track"] = track.pk
        data[f"track_artists-{index}-artist"] = credit.artist_id
        data[f"track_artists-{index}-position"] = credit.position
    for index, link in enumerate(tag_links):
        data[f"track_tags-{index}-id"] = link.pk
        data[f"track_tags-{index}-track"] = track.pk
        data[f"track_tags-{index}-tag"] = link.tag_id
    data.update(changes)
    return data


def test_staff_list_and_search_tracks_artists_and_tags(staff_client: Client) -> None:
    TrackFactory(title="Rain on Paper Lanterns", artists=["Kaito"], tags=["ambient"])

    for url in ("/admin/catalog/track/", "/admin/catalog/artist/", "/admin/catalog/tag/"):
        assert staff_client.get(url).status_code == 200, url
    page = staff_client.get("/admin/catalog/track/", {"q": "Kaito"}).content.decode()
    assert "Rain on Paper Lanterns" in page


def test_a_track_fix_is_saved_audited_and_re_embedded(
    staff_client: Client, staff_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    track = TrackFactory(
        title="Rain on Papr Lanterns", album="Lanterns", release_year=2011, artists=["Kaito"]
    )
    singer = ArtistFactory(name="Mio")
    form = _track_form(track, title="Rain on Paper Lanterns", release_year=2012)
    form.update(
        {
            "track_artists-TOTAL_FORMS": 2,
            "track_artists-1-track": track.pk,
            "track_artists-1-artist": singer.pk,
            "track_artists-1-position": 1,
        }
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(f"/admin/catalog/track/{track.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    track.refresh_from_db()
    assert (track.title, track.release_year) == ("Rain on Paper Lanterns", 2012)
    assert "Rain on Paper Lanterns" in track.document and "Mio" in track.document
    assert track.embedding is None  # the worker embeds the new document
    assert len(callbacks) == 1
    entry = AuditEntry.objects.get(action="track.update")
    assert entry.actor == staff_user and entry.target_type == "track" and entry.target_id == str(track.pk)
    assert entry.before is not None and entry.after is not None
    assert (entry.before["title"], entry.after["title"]) == (
        "Rain on Papr Lanterns",
        "Rain on Paper Lanterns",
    )
    assert (entry.before["artists"], entry.after["artists"]) == (["Kaito"], ["Kaito", "Mio"])


def test_saving_an_unchanged_track_records_nothing(staff_client: Client) -> None:
    track = TrackFactory(tags=["jazz"])

    response = staff_client.post(f"/admin/catalog/track/{track.pk}/change/", _track_form(track))

    assert response.status_code == 302
    assert not AuditEntry.objects.exists()


def test_renaming_an_artist_is_audited_and_their_tracks_follow(staff_client: Client) -> None:
    track = TrackFactory(artists=["Beyonce"])
    artist = Artist.objects.get(name="Beyonce")

    response = staff_client.post(f"/admin/catalog/artist/{artist.pk}/change/", {"name": "Beyoncé"})

    assert response.status_code == 302
    track.refresh_from_db()
    assert "Beyoncé" in track.document and track.embedding is None
    entry = AuditEntry.objects.get(action="artist.update")
    assert (entry.before, entry.after) == ({"name": "Beyonce"}, {"name": "Beyoncé"})


def test_adding_a_tag_lowercases_it_and_is_audited(staff_client: Client) -> None:
    response = staff_client.post("/admin/catalog/tag/add/", {"name": " Dream Pop ", "kind": "genre"})

    assert response.status_code == 302
    tag = Tag.objects.get(name="dream pop")
    entry = AuditEntry.objects.get(action="tag.create")
    assert entry.before is None and entry.after == {"name": "dream pop", "kind": "genre"}
    assert entry.target_id == str(tag.pk)


def test_the_audit_page_shows_the_metadata_fix(staff_client: Client) -> None:
    tag = TagFactory(name="chill")
    staff_client.post(f"/admin/catalog/tag/{tag.pk}/change/", {"name": "chillout", "kind": tag.kind})

    page = staff_client.get("/desk/audit/").content.decode()

    assert "<del>chill</del> → <ins>chillout</ins>" in page


def test_nothing_is_deleted_and_tracks_are_not_added_here(staff_client: Client) -> None:
    track = TrackFactory()

    assert staff_client.get(f"/admin/catalog/track/{track.pk}/delete/").status_code == 403
    assert staff_client.get("/admin/catalog/track/add/").status_code == 403
    assert Track.objects.filter(pk=track.pk).exists()


@pytest.mark.parametrize("who", ["owner", "curator"])
def test_listeners_and_curators_without_staff_cannot_edit(request: pytest.FixtureRequest, who: str) -> None:
    user = request.getfixturevalue(who)
    track = TrackFactory(title="Keep me")
    client = Client()
    client.force_login(user)

    response = client.post(f"/admin/catalog/track/{track.pk}/change/", {"title": "Changed"})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    track.refresh_from_db()
    assert track.title == "Keep me"
    assert not AuditEntry.objects.exists()
