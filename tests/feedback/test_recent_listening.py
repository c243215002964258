"""The taste page's "Recently" list: skips and completes from real playback, in words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db


def _event(track_id: int, kind: str, minutes_ago: int, **fields: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "track": track_id,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        **fields,
    }


def test_a_skip_shows_where_and_how_much_was_heard_and_a_complete_says_so(owner: User) -> None:
    skipped = TrackFactory(title="Rain on Paper Lanterns")
    finished = TrackFactory(title="Harbour Lights")
    api = APIClient()
    api.force_authenticate(user=owner)
    events = [
        _event(skipped.pk, "play", 5, position_ms=0),
        _event(skipped.pk, "skip", 4, position_ms=34_000, ms_played=7_500),
        _event(finished.pk, "complete", 1, position_ms=180_000, ms_played=180_000),
    ]
    assert api.post("/api/feedback/events/", {"events": events}, format="json").json()["stored"] == 3
    client = Client()
    client.force_login(owner)

    page = client.get("/taste/").content.decode()

    recent = page[page.index('id="recent-heading"') :]
    assert "Skipped at 0:34 after 0:07 heard" in recent
    assert "Played to the end" in recent
    # Newest first; the play start itself is not listed.
    assert recent.index("Harbour Lights") < recent.index("Rain on Paper Lanterns")
    assert recent.count("Rain on Paper Lanterns") == 1


def test_a_stranger_sees_none_of_it(owner: User, other_user: User) -> None:
    track = TrackFactory(title="Harbour Lights")
    api = APIClient()
    api.force_authenticate(user=owner)
    api.post("/api/feedback/events/", {"events": [_event(track.pk, "complete", 1)]}, format="json")
    client = Client()
    client.force_login(other_user)

    page = client.get("/taste/").content.decode()

    assert "Harbour Lights" not in page
    assert "appear here" in page
