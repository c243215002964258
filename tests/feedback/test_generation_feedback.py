"""Feedback acts at once: dislikes never come back, skips leave refreshes, learned taste and the
bandit's choice reach generation (the real engine and text model on a small catalog)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, User
from accounts.services import consent_withdraw
from feedback.learning.bandit import POLICIES
from feedback.selectors import policy_choose
from playlists.generation import personalization_context
from playlists.models import PlaylistVersion, VersionCause, VersionStatus
from playlists.services import playlist_create, playlist_regenerate, playlist_version_build
from tests.catalog.factories import TrackFactory

pytestmark = [pytest.mark.django_db, pytest.mark.model]
SIZE = 12


@pytest.fixture
def catalog() -> list[int]:
    return [TrackFactory(tags=["jazz"], popularity=40 + index).pk for index in range(SIZE)]


def _post(owner: User, events: list[dict]) -> dict:
    client = APIClient()
    client.force_authenticate(user=owner)
    response = client.post("/api/feedback/events/", {"events": events}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _event(version: PlaylistVersion, track_id: int, kind: str, **fields: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "track": track_id,
        "playlist": version.playlist_id,
        "version": version.number,
        "occurred_at": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
        **fields,
    }


def _generate(version: PlaylistVersion) -> PlaylistVersion:
    playlist_version_build(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == VersionStatus.READY, version.error
    return version


def _tracks(version: PlaylistVersion) -> set[int]:
    return set(version.items.values_list("track_id", flat=True))


def test_a_disliked_track_never_comes_back_and_early_skips_leave_the_refresh(
    owner: User, catalog: list[int]
) -> None:
    playlist = playlist_create(owner=owner, prompt="jazz", size=SIZE)
    first = _generate(playlist.versions.get())
    assert _tracks(first) == set(catalog)
    disliked, skipped = catalog[0], catalog[1]

    _post(owner, [_event(first, disliked, "dislike"), _event(first, skipped, "skip", position_ms=4_000)])
    second = _generate(playlist_regenerate(playlist=playlist, cause=VersionCause.REFRESH))
    third = _generate(playlist_regenerate(playlist=playlist))

    assert disliked not in _tracks(second) | _tracks(third)
    assert skipped not in _tracks(second)
    assert len(_tracks(second)) == SIZE - 2


def test_every_version_logs_its_policy_and_propensity(owner: User, catalog: list[int]) -> None:
    playlist = playlist_create(owner=owner, prompt="jazz", size=5)

    version = _generate(playlist.versions.get())

    assert version.policy in POLICIES
    assert 0 < version.propensity <= 1
    assert version.weights == pytest.approx(POLICIES[version.policy])


def test_without_experiments_consent_nobody_is_randomized(owner: User) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.EXPERIMENTS)

    choices = {policy_choose(user=owner, personalized=True) for _ in range(5)}

    assert len(choices) == 1
    assert next(iter(choices)).propensity == 1.0


def test_liked_tracks_shape_the_taste_and_withdrawing_personalization_drops_it(
    owner: User, catalog: list[int]
) -> None:
    playlist = playlist_create(owner=owner, prompt="jazz", size=SIZE)
    first = _generate(playlist.versions.get())
    _post(owner, [_event(first, catalog[2], "like"), _event(first, catalog[3], "complete")])

    context = personalization_context(owner)

    assert context is not None and context.taste_vector is not None
    assert context.track_affinity[catalog[2]] == pytest.approx(1.0)
    assert catalog[3] in context.heard_track_ids
    consent_withdraw(user=owner, purpose=ConsentPurpose.PERSONALIZATION)
    assert personalization_context(owner) is None
