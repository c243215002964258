"""Malformed input is a 4xx with a message, never a 500, and nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from playlists.models import Playlist, PlaylistVersion
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db

BAD_VERSIONS = ["²", "9" * 5000, "-1", "1.5", "abc", "١"]


@pytest.fixture
def playlist(owner: User) -> Playlist:
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[TrackFactory()], intent={"semantic_text": "jazz"})
    return playlist


@pytest.fixture
def api(api_client: APIClient, owner: User) -> APIClient:
    api_client.force_authenticate(owner)
    return api_client


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_bad_version_parameter_is_a_400_on_the_api(api: APIClient, playlist: Playlist, version: str) -> None:
    detail = api.get(f"/api/playlists/{playlist.pk}/", {"version": version})
    export = api.get(f"/api/playlists/{playlist.pk}/export/m3u8/", {"version": version})

    for response in (detail, export):
        assert response.status_code == 400
        assert "version" in response.json()["detail"]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_bad_version_parameter_is_a_400_on_the_pages(
    client: Client, owner: User, playlist: Playlist, version: str
) -> None:
    client.force_login(owner)

    assert client.get(f"/playlists/{playlist.pk}/", {"version": version}).status_code == 400
    assert client.get(f"/playlists/{playlist.pk}/export.m3u8", {"version": version}).status_code == 400


def test_unknown_but_wellformed_version_is_a_404(api: APIClient, playlist: Playlist) -> None:
    assert api.get(f"/api/playlists/{playlist.pk}/", {"version": "999999999"}).status_code == 404


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"semantic_text": 12345}, "semantic_text"),
        ({"semantic_text": "jazz\u0000"}, "semantic_text"),
        ({"seed_artists": [1, 2, None]}, "seed_artists[0]"),
        ({"exclude_tags": ["rap\u0000"]}, "exclude_tags[0]"),
        ({"size": 100000}, "size"),
        ({"size": -5}, "size"),
        ({"size": "abc"}, "size"),
        ({"size": True}, "size"),
        ({"duration_seconds": 10**12}, "duration_seconds"),
        ({"feature_ranges": {"energy": {"low": "nan", "high": 1.0}}}, "feature_ranges.energy.low"),
        ({"feature_ranges": {"energy": {"low": 0.0, "high": "inf"}}}, "feature_ranges.energy.high"),
        ({"include_tags": [{"name": "jazz", "confidence": "nan"}]}, "include_tags[0].confidence"),
        ({"era": [1990]}, "era"),
        ({"era": ["1990", 2000]}, "era[0]"),
        ({"energy_arc": [0.1, "x"]}, "energy_arc[1]"),
        ({"familiarity": {"a": 1}}, "familiarity"),
        ({"clean": "yes"}, "clean"),
    ],
)
def test_malformed_intent_edit_is_a_400_naming_the_field(
    api: APIClient, playlist: Playlist, edit: dict[str, Any], field: str
) -> None:
    before = PlaylistVersion.objects.filter(playlist=playlist).count()

    response = api.post(
        f"/api/playlists/{playlist.pk}/intent/", {"intent": {"semantic_text": "jazz", **edit}}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert PlaylistVersion.objects.filter(playlist=playlist).count() == before


def test_overflowing_number_in_an_intent_is_a_400(api: APIClient, playlist: Playlist) -> None:
    # Python's JSON reader turns 1e400 into inf, which JSONB cannot store.
    body = '{"intent": {"feature_ranges": {"energy": {"low": 0, "high": 1e400}}}}'

    response = api.post(f"/api/playlists/{playlist.pk}/intent/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()  # the serializer's message on `intent`, or ours on the field
    assert PlaylistVersion.objects.filter(playlist=playlist).count() == 1


def test_wellformed_intent_edit_is_accepted(api: APIClient, playlist: Playlist) -> None:
    edited = {
        "semantic_text": "jazz",
        "seed_artists": ["Miles Davis"],
        "size": 20,
        "feature_ranges": {"energy": {"low": 0.1, "high": 0.5, "hard": False, "confidence": 0.8}},
        "era": [1950, 1970],
    }

    response = api.post(f"/api/playlists/{playlist.pk}/intent/", {"intent": edited}, format="json")

    assert response.status_code == 202


def test_deeply_nested_json_is_a_4xx_with_a_message(api: APIClient, playlist: Playlist) -> None:
    depth = 100_000
    body = '{"intent": ' + "[" * depth + "]" * depth + "}"

    response = api.post(f"/api/playlists/{playlist.pk}/intent/", body, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert PlaylistVersion.objects.filter(playlist=playlist).count() == 1


def test_body_over_the_size_limit_is_a_json_413(api: APIClient, playlist: Playlist, settings: Any) -> None:
    body = '{"change": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024) + '"}'

    response = api.post(f"/api/playlists/{playlist.pk}/refine/", body, content_type="application/json")

    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
