"""Event ingestion benchmark: batches through the real API stack vs the raw COPY ceiling.

Posts ``--batches`` batches of ``--batch-size`` events (default 100) through the full Django
stack (middleware, token authentication with the ``feedback`` scope, throttling, consent check,
validation, the INSERT … ON CONFLICT and the affinity/bandit upserts) from ``--clients``
concurrent clients, then COPYs the same rows straight into the events table in the same run,
and prints events/s, per-batch p50/p95/p99 and the ratio to the raw ceiling. The bench users
and all their rows are deleted afterwards.

It lives in playlists, not feedback, because its events belong to playlist versions it creates:
feedback sits below playlists and never imports it.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, Role, TokenScope, User
from accounts.services import consent_record_choices, token_create, user_create
from catalog.models import Track
from feedback.learning.event_weights import EVENT_KINDS
from playlists.models import Playlist, PlaylistVersion, VersionStatus

BENCH_EMAIL = "bench-feedback-{}@segue.invalid"
KIND_MIX = ["play"] * 4 + ["progress"] * 3 + ["complete"] * 3 + ["skip"] * 3 + list(EVENT_KINDS)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _host() -> str:
    """A host the settings accept (the API client otherwise sends 'testserver')."""
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"]
    return "localhost" if "localhost" in hosts or not hosts else hosts[0]


def _client_run(
    token: str, warm_up: list[dict], batches: list[list[dict]], barrier: Any, results: Any
) -> None:
    """One API client in its own process: warm up, wait for the others, post every batch."""
    client = APIClient(HTTP_HOST=_host())
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    # Outside the timed part: the first request opens a connection and compiles URL patterns.
    client.post("/api/feedback/events/", {"events": warm_up}, format="json")
    barrier.wait()
    latencies, failures = [], []
    cpu_started = time.process_time()
    for batch in batches:
        started = time.perf_counter()
        response = client.post("/api/feedback/events/", {"events": batch}, format="json")
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or response.json()["rejected"]:
            failures.append(f"{response.status_code}: {response.content[:200]!r}")
    cpu = time.process_time() - cpu_started
    connections.close_all()
    results.put((latencies, failures, cpu))


class Command(BaseCommand):
    help = "Benchmark event ingestion through the API against the raw database insert rate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batches", type=int, default=300)
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument(
            "--clients", type=int, default=2, help="Concurrent API clients, one process each (2 cores: 2)."
        )
        parser.add_argument("--seed", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(options["seed"])
        track_ids = list(Track.objects.order_by("?").values_list("pk", flat=True)[:5000])
        self._track_ids = track_ids
        if not track_ids:
            raise CommandError("The catalog is empty: import or load a catalog first.")
        clients = max(1, options["clients"])
        self._load_before = os.getloadavg()[0]
        size = options["batch_size"]
        users, tokens = self._users(clients + 1)
        try:
            per_client = [
                [
                    self._batch(rng, track_ids, size, self._playlists[client])
                    for _ in range(options["batches"] // clients)
                ]
                for client in range(clients)
            ]
            api = self._through_api(tokens[:clients], per_client)
            raw = self._raw_copy(users[-1], [batch for batches in per_client for batch in batches])
        finally:
            User.objects.filter(email__startswith="bench-feedback-").delete()
        self._report(api, raw, size, clients)

    def _users(self, count: int) -> tuple[list[User], list[str]]:
        User.objects.filter(email__startswith="bench-feedback-").delete()
        users, tokens = [], []
        self._playlists: list[int] = []
        self._versions: list[int] = []
        for index in range(count):
            user = user_create(email=BENCH_EMAIL.format(index), password=uuid.uuid4().hex, role=Role.LISTENER)
            consent_record_choices(user=user, choices=dict.fromkeys(ConsentPurpose.values, True))
            _, raw = token_create(user=user, name="bench", scopes=[TokenScope.FEEDBACK])
            # A ready playlist version to attribute events to (bench data, made directly: no worker).
            playlist = Playlist.objects.create(owner=user, name="bench", prompt="bench")
            version = PlaylistVersion.objects.create(
                playlist=playlist, number=1, status=VersionStatus.READY, policy="balanced", propensity=0.5
            )
            self._playlists.append(playlist.pk)
            self._versions.append(version.pk)
            users.append(user)
            tokens.append(raw)
        return users, tokens

    def _batch(
        self, rng: random.Random, track_ids: list[int], size: int, playlist: int | None = None
    ) -> list[dict[str, Any]]:
        """Random events; with a playlist, half of them come from its version 1 (as a player's do)."""
        now = datetime.now(UTC)
        events = []
        for _ in range(size):
            kind = rng.choice(KIND_MIX)
            event: dict[str, Any] = {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "kind": kind,
                "track": rng.choice(track_ids),
                "occurred_at": (now - timedelta(seconds=rng.randint(1, 30 * 86400))).isoformat(),
                "device": "web",
                "local_hour": rng.randint(0, 23),
            }
            if kind in ("skip", "progress"):
                event["position_ms"] = rng.randint(0, 240_000)
            if playlist is not None and rng.random() < 0.5:
                event.update(playlist=playlist, version=1, position=rng.randint(1, 30))
            events.append(event)
        return events

    def _through_api(self, tokens: list[str], per_client: list[list[list[dict]]]) -> dict[str, Any]:
        """Each client is its own process (as web workers are), so the two cores are both used."""
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(len(tokens) + 1)
        results = context.Queue()
        warm_up = [self._batch(random.Random(index), self._track_ids[:50], 1) for index in range(len(tokens))]
        connections.close_all()  # children must not share the parent's database connection
        processes = [
            context.Process(target=_client_run, args=(token, warm, batches, barrier, results))
            for token, warm, batches in zip(tokens, warm_up, per_client, strict=True)
        ]
        for process in processes:
            process.start()
        barrier.wait()
        started = time.perf_counter()
        outcomes = [results.get() for _ in processes]
        wall = time.perf_counter() - started
        for process in processes:
            process.join()
        failures = [failure for _, failed, _ in outcomes for failure in failed]
        if failures:
            raise CommandError(f"{len(failures)} batches failed, e.g. {failures[0]}")
        events = sum(len(batch) for batches in per_client for batch in batches)
        return {
            "events": events,
            "seconds": wall,
            "latencies": [value for mine, _, _ in outcomes for value in mine],
            "cpu_seconds": sum(cpu for _, _, cpu in outcomes),
        }

    def _raw_copy(self, user: User, batches: list[list[dict]]) -> dict[str, Any]:
        """The same rows COPYed straight into the table (no HTTP, no validation): the ceiling."""
        buffer = io.StringIO()
        received = datetime.now(UTC).isoformat()
        null = "\\N"
        version = self._versions[-1]
        for batch in batches:
            for event in batch:
                buffer.write(
                    f"{user.pk}\t{uuid.uuid4()}\t{event['kind']}\t{event['track']}\t"
                    f"{version if 'playlist' in event else null}\t{event.get('position', null)}\t"
                    f"{event.get('position_ms', null)}\t{event['occurred_at']}\t{received}\tweb\t"
                    f"{event['local_hour']}\t0.5\n"
                )
        rows = sum(len(batch) for batch in batches)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_sql = (
                "COPY feedback_listeningevent (user_id, client_event_id, kind, track_id, version_id, "
                "position, position_ms, occurred_at, received_at, device, local_hour, weight) FROM STDIN"
            )
            with cursor.cursor.copy(copy_sql) as copy:
                copy.write(buffer.getvalue())
        seconds = time.perf_counter() - started
        return {"rows": rows, "seconds": seconds}

    def _report(self, api: dict[str, Any], raw: dict[str, Any], size: int, clients: int) -> None:
        rate = api["events"] / api["seconds"]
        raw_rate = raw["rows"] / raw["seconds"]
        latencies_ms = [value * 1000 for value in api["latencies"]]
        p95 = _percentile(latencies_ms, 0.95)
        cpu_ms = 1000 * api["cpu_seconds"] / len(latencies_ms)
        lines = [
            f"load average before / after: {self._load_before:.2f} / {os.getloadavg()[0]:.2f} "
            "(2 cores; other work on the machine slows every figure)",
            f"API: {api['events']} events in {len(latencies_ms)} batches of {size} from {clients} client(s): "
            f"{rate:,.0f} events/s",
            f"  per batch: p50 {statistics.median(latencies_ms):.1f} ms, p95 {p95:.1f} ms, "
            f"p99 {_percentile(latencies_ms, 0.99):.1f} ms, max {max(latencies_ms):.1f} ms",
            f"Raw COPY of the same rows: {raw['rows']} rows in {raw['seconds']:.2f} s: "
            f"{raw_rate:,.0f} rows/s",
            f"API / raw ceiling: {rate / raw_rate:.1%}",
            f"web-process CPU per batch: {cpu_ms:.1f} ms (the database's own work is on top)",
            f"Targets: >= 5,000 events/s {'met' if rate >= 5000 else 'MISSED'}; "
            f"p95 <= 100 ms {'met' if p95 <= 100 else 'MISSED'}",
        ]
        self.stdout.write("\n".join(lines))
