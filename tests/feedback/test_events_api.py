"""The events batch API: per-event validation, idempotency, consent, ownership, limits, scopes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, TokenScope, User
from accounts.services import consent_withdraw, token_create
from feedback.events import MAX_BATCH
from feedback.models import ListeningEvent, PolicyStat, TrackAffinity
from playlists.models import PlaylistVersion
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db
URL = "/api/feedback/events/"


def _event(track_id: int, kind: str = "complete", **fields: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "track": track_id,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        **fields,
    }


@pytest.fixture
def api(owner: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=owner)
    return client


def test_invalid_events_get_errors_while_the_valid_ones_are_stored(api: APIClient, owner: User) -> None:
    track = TrackFactory()
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    events = [
        _event(track.pk, "like"),
        _event(999_999),  # unknown track
        _event(track.pk, occurred_at=future),  # in the future
        {**_event(track.pk), "id": "not-a-uuid"},  # malformed id
        _event(track.pk, occurred_at="yesterday"),  # garbage timestamp
        _event(track.pk, "skip", position_ms=5_000),
    ]

    response = api.post(URL, {"events": events}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == 2
    assert body["rejected"] == 4
    assert [(error["index"], error["field"]) for error in body["errors"]] == [
        (1, "track"),
        (2, "occurred_at"),
        (3, "id"),
        (4, "occurred_at"),
    ]
    assert "future" in body["errors"][1]["message"]
    assert set(ListeningEvent.objects.filter(user=owner).values_list("kind", flat=True)) == {"like", "skip"}


def test_a_repeated_event_id_is_stored_once_and_moves_nothing(api: APIClient, owner: User) -> None:
    track = TrackFactory()
    event = _event(track.pk, "like")

    first = api.post(URL, {"events": [event, event]}, format="json").json()
    affinity = TrackAffinity.objects.get(user=owner, track=track).mass
    retry = api.post(URL, {"events": [event]}, format="json").json()

    assert (first["stored"], first["duplicates"]) == (1, 1)
    assert (retry["stored"], retry["duplicates"]) == (0, 1)
    assert ListeningEvent.objects.filter(user=owner).count() == 1
    assert TrackAffinity.objects.get(user=owner, track=track).mass == affinity


def test_without_listening_history_consent_the_batch_is_refused_and_nothing_stored(
    api: APIClient, owner: User
) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    track = TrackFactory()

    response = api.post(URL, {"events": [_event(track.pk)]}, format="json")

    assert response.status_code == 403
    assert "listening_history" in response.json()["detail"]
    assert not ListeningEvent.objects.exists()
    assert not TrackAffinity.objects.exists()


def test_an_unconsented_new_user_cannot_post_events(unconsented_user: User) -> None:
    client = APIClient()
    client.force_authenticate(user=unconsented_user)

    response = client.post(URL, {"events": [_event(TrackFactory().pk)]}, format="json")

    assert response.status_code == 403
    assert not ListeningEvent.objects.exists()


def test_events_for_another_listeners_playlist_version_are_rejected(
    api: APIClient, owner: User, other_user: User
) -> None:
    track = TrackFactory()
    theirs = version_make(playlist_make(owner=other_user), tracks=[track], policy="balanced")
    mine = version_make(playlist_make(owner=owner), tracks=[track], policy="balanced")

    body = api.post(
        URL,
        {
            "events": [
                _event(track.pk, playlist=theirs.playlist_id, version=theirs.number),
                _event(track.pk, playlist=mine.playlist_id, version=mine.number, position=1),
            ]
        },
        format="json",
    ).json()

    assert body["stored"] == 1
    assert body["errors"][0]["field"] == "version"
    assert ListeningEvent.objects.get().version_id == mine.pk


def test_an_oversized_batch_is_refused_with_the_limit(api: APIClient) -> None:
    track = TrackFactory()

    response = api.post(URL, {"events": [_event(track.pk) for _ in range(MAX_BATCH + 1)]}, format="json")

    assert response.status_code == 413
    assert response.json()["limit"] == MAX_BATCH
    assert not ListeningEvent.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"events": []}, {"events": "many"}])
def test_a_body_that_is_not_a_batch_is_a_400(api: APIClient, payload: dict) -> None:
    assert api.post(URL, payload, format="json").status_code == 400


def test_a_token_needs_the_feedback_scope(owner: User) -> None:
    track = TrackFactory()
    _, write_only = token_create(user=owner, name="writer", scopes=[TokenScope.WRITE])
    _, feedback = token_create(user=owner, name="player", scopes=[TokenScope.FEEDBACK])
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {write_only}")
    refused = client.post(URL, {"events": [_event(track.pk)]}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {feedback}")
    accepted = client.post(URL, {"events": [_event(track.pk)]}, format="json")

    assert refused.status_code == 403
    assert "feedback" in refused.json()["detail"]
    assert accepted.status_code == 200
    assert accepted.json()["stored"] == 1


def test_anonymous_callers_are_refused() -> None:
    assert APIClient().post(URL, {"events": []}, format="json").status_code in (401, 403)


def test_feedback_on_a_version_credits_its_policy_for_the_listener_and_globally(
    api: APIClient, owner: User
) -> None:
    track = TrackFactory(duration_ms=200_000)
    version = version_make(playlist_make(owner=owner), tracks=[track], policy="discovery", propensity=0.4)
    where = {"playlist": version.playlist_id, "version": version.number}

    api.post(
        URL,
        {
            "events": [
                _event(track.pk, "complete", **where),
                _event(track.pk, "skip", position_ms=3_000, **where),
            ]
        },
        format="json",
    )

    mine = PolicyStat.objects.get(user=owner, policy="discovery")
    overall = PolicyStat.objects.get(user__isnull=True, policy="discovery")
    assert (mine.successes, mine.failures) == (1.0, 1.0)
    assert (overall.successes, overall.failures) == (1.0, 1.0)
    assert PlaylistVersion.objects.get(pk=version.pk).events.count() == 2


def test_the_feedback_endpoints_are_in_the_openapi_schema(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    for path in ["/api/feedback/events/", "/api/feedback/taste/", "/api/feedback/taste/exclusions/"]:
        assert path in schema


def test_curators_can_queue_a_cf_retrain_and_listeners_cannot(api: APIClient, curator: User) -> None:
    curators = APIClient()
    curators.force_authenticate(user=curator)

    assert api.post("/api/feedback/cf/train/").status_code == 403
    assert curators.post("/api/feedback/cf/train/").status_code == 202


def test_ms_played_is_stored_and_weighs_the_skip(api: APIClient, owner: User) -> None:
    track = TrackFactory(duration_ms=240_000)
    seeked_and_left = _event(track.pk, "skip", position_ms=200_000, ms_played=4_000)
    listened_a_while = _event(track.pk, "skip", position_ms=150_000, ms_played=150_000)

    body = api.post(URL, {"events": [seeked_and_left, listened_a_while]}, format="json").json()

    assert body["stored"] == 2
    stored = dict(ListeningEvent.objects.filter(user=owner).values_list("ms_played", "weight"))
    assert stored == {4_000: -2.0, 150_000: -0.5}


def test_a_negative_ms_played_is_rejected_with_its_field(api: APIClient) -> None:
    body = api.post(URL, {"events": [_event(TrackFactory().pk, "skip", ms_played=-1)]}, format="json").json()
    assert (body["rejected"], body["errors"][0]["field"]) == (1, "ms_played")


def test_the_latest_stored_like_or_dislike_decides_the_verdict(api: APIClient, owner: User) -> None:
    track_id: int = TrackFactory().pk  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    dislike = _event(track_id, "dislike", occurred_at=(now - timedelta(minutes=3)).isoformat())
    like = _event(track_id, "like", occurred_at=(now - timedelta(minutes=2)).isoformat())

    def verdict() -> bool:
        return TrackAffinity.objects.get(user=owner, track_id=track_id).disliked

    api.post(URL, {"events": [like, dislike]}, format="json")  # the later event wins, not the last sent
    after_batch = verdict()
    api.post(URL, {"events": [dislike]}, format="json")  # a retried dislike: stored before, changes nothing
    after_retry = verdict()
    api.post(URL, {"events": [_event(track_id, "complete")]}, format="json")  # no verdict: keeps it
    after_play = verdict()
    api.post(URL, {"events": [_event(track_id, "dislike")]}, format="json")
    after_new_dislike = verdict()

    assert (after_batch, after_retry, after_play, after_new_dislike) == (False, False, False, True)
    assert TrackAffinity.objects.get(user=owner, track_id=track_id).events == 4
