"""Right after new events, a real worker re-solves the listener's CF vector (no retrain)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from rest_framework.test import APIClient

from accounts.models import Role, User
from feedback import ingestion, services
from feedback.models import UserFactor
from tests.catalog.factories import TrackFactory
from tests.conftest import consenting_user

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _events(tracks: list[int], kind: str) -> list[dict]:
    moment = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return [
        {"id": str(uuid.uuid4()), "kind": kind, "track": track, "occurred_at": moment} for track in tracks
    ]


def test_new_events_refresh_the_listeners_vector_in_the_worker(celery_worker: object, owner: User) -> None:
    tracks = [TrackFactory().pk for _ in range(10)]
    others = [consenting_user(f"l{index}@example.com", Role.LISTENER) for index in range(3)]
    for index, listener in enumerate([owner, *others]):
        ingestion.events_ingest(
            user=listener, events=_events(tracks[:5] if index % 2 == 0 else tracks[5:], "complete")
        )
    services.cf_train(factors=8, iterations=5)
    before = np.asarray(UserFactor.objects.get(user=owner).vector)
    from django.core.cache import cache

    cache.clear()  # the ingestion above already used this listener's debounce window
    client = APIClient()
    client.force_authenticate(user=owner)

    assert (
        client.post(
            "/api/feedback/events/", {"events": _events(tracks[5:], "like")}, format="json"
        ).status_code
        == 200
    )

    deadline = time.monotonic() + 60
    while np.allclose(np.asarray(UserFactor.objects.get(user=owner).vector), before):
        assert time.monotonic() < deadline, "the worker did not refresh the vector"
        time.sleep(0.2)


def test_an_undone_dislike_refreshes_the_listeners_vector_in_the_worker(
    celery_worker: object, owner: User
) -> None:
    tracks = [TrackFactory().pk for _ in range(10)]
    others = [consenting_user(f"l{index}@example.com", Role.LISTENER) for index in range(3)]
    for index, listener in enumerate(others):
        ingestion.events_ingest(
            user=listener, events=_events(tracks[:5] if index % 2 == 0 else tracks[5:], "complete")
        )
    ingestion.events_ingest(user=owner, events=_events(tracks[:5], "complete"))
    ingestion.events_ingest(user=owner, events=_events(tracks[5:6], "complete"))
    ingestion.events_ingest(user=owner, events=_events(tracks[5:6], "dislike"))
    services.cf_train(factors=8, iterations=5)
    before = np.asarray(UserFactor.objects.get(user=owner).vector)

    services.dislike_undo(user=owner, track_id=tracks[5])

    deadline = time.monotonic() + 60
    while np.allclose(np.asarray(UserFactor.objects.get(user=owner).vector), before):
        assert time.monotonic() < deadline, "the worker did not refresh the vector"
        time.sleep(0.2)
