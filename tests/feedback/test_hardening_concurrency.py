"""Concurrent event batches against the real PostgreSQL: no deadlock, every event stored once.

Real threads, each with its own database connection, post through the API at the same moment
(a barrier releases them together) for two listeners whose batches share tracks in different
orders, likes and dislikes included: the pattern that deadlocked in the affinity upsert.
"""

from __future__ import annotations

import io
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from feedback.history_imports import history_import_stream
from feedback.models import ListeningEvent, PolicyStat, TrackAffinity
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/feedback/events/"
PARALLEL = 16
ROUNDS = 3
BATCH = 200


def _batch(tracks: list[int], rng: random.Random) -> list[dict[str, object]]:
    """Events over every shared track in a shuffled order, some likes and dislikes among them."""
    when = datetime.now(UTC) - timedelta(minutes=5)
    chosen = [rng.choice(tracks) for _ in range(BATCH)]
    kinds = ["complete", "skip", "like", "dislike", "play"]
    return [
        {
            "id": str(uuid.uuid4()),
            "kind": rng.choice(kinds),
            "track": track,
            "occurred_at": (when + timedelta(seconds=index)).isoformat(),
        }
        for index, track in enumerate(chosen)
    ]


def _run_together(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run the callables in real threads released at once; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as error:  # collected and asserted on in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a batch did not finish within 2 minutes"
    return errors


def test_parallel_batches_of_two_listeners_on_shared_tracks_never_deadlock(
    owner: User, other_user: User
) -> None:
    tracks = [TrackFactory().pk for _ in range(40)]
    rng = random.Random(17)
    statuses: list[int] = []
    latencies: list[float] = []
    posted: dict[int, int] = {owner.pk: 0, other_user.pk: 0}

    def poster(user: User, events: list[dict[str, object]]) -> Callable[[], None]:
        def post() -> None:
            client = APIClient()
            client.force_authenticate(user=user)
            started = time.perf_counter()
            response = client.post(URL, {"events": events}, format="json")
            latencies.append(time.perf_counter() - started)
            statuses.append(response.status_code)

        return post

    for _ in range(ROUNDS):
        jobs = []
        for index in range(PARALLEL):
            user = owner if index % 2 else other_user
            events = _batch(tracks, rng)
            posted[user.pk] += len(events)
            jobs.append(poster(user, events))
        assert _run_together(jobs) == []

    assert statuses == [200] * (PARALLEL * ROUNDS)
    for user in (owner, other_user):
        stored = ListeningEvent.objects.filter(user=user).count()
        assert stored == posted[user.pk]
        affinity_events = sum(TrackAffinity.objects.filter(user=user).values_list("events", flat=True))
        assert affinity_events == stored  # every stored event moved its affinity exactly once
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"{PARALLEL} parallel batches of {BATCH}: p95 {p95 * 1000:.0f} ms")


def test_a_history_import_and_the_web_player_of_one_listener_never_collide(owner: User) -> None:
    tracks = [TrackFactory(title=f"Tune {index}", artists=[f"Band {index}"]) for index in range(30)]
    rng = random.Random(23)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    rows = "\n".join(
        f'{{"listened_at": {int((start + timedelta(minutes=index)).timestamp())}, "track_metadata": '
        f'{{"artist_name": "Band {number}", "track_name": "Tune {number}"}}}}'
        for index, number in enumerate(rng.randrange(30) for _ in range(2000))
    ).encode()
    player_events = [_batch([track.pk for track in tracks], rng) for _ in range(8)]
    statuses: list[int] = []

    def history() -> None:
        summary = history_import_stream(
            user=User.objects.get(pk=owner.pk),
            handle=io.BytesIO(rows),
            history_format="listenbrainz",
            name="listens.jsonl",
        )
        assert summary.events_stored == 2000

    def player(events: list[dict[str, object]]) -> Callable[[], None]:
        def post() -> None:
            client = APIClient()
            client.force_authenticate(user=owner)
            statuses.append(client.post(URL, {"events": events}, format="json").status_code)

        return post

    assert _run_together([history, *(player(events) for events in player_events)]) == []

    assert statuses == [200] * len(player_events)
    stored = ListeningEvent.objects.filter(user=owner).count()
    assert stored == 2000 + BATCH * len(player_events)
    assert sum(TrackAffinity.objects.filter(user=owner).values_list("events", flat=True)) == stored
    assert PolicyStat.objects.filter(user=owner).count() == 0
