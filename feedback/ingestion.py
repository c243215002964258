"""Listening-event ingestion: validate a batch, store it once, and fold it into the listener's
affinities and bandit counts in the same transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.consent import consent_require
from accounts.models import ConsentPurpose, User
from catalog.subsonic_services import epoch_ms, scrobbles_queue
from config.errors import ApplicationError
from config.metrics import metrics_count_events
from feedback.events import MAX_BATCH, EventError, EventIn, events_parse
from feedback.learning import bandit, event_weights
from feedback.models import (
    EventKind,
    ExclusionKind,
    TasteExclusion,
)
from feedback.queueing import user_vector_refresh_queue

USER_VECTOR_DEBOUNCE_SECONDS = 30


class BatchTooLarge(ApplicationError):
    """More than MAX_BATCH events in one request (the API answers 413)."""


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    errors: list[EventError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": len(self.errors),
            "errors": [error.to_dict() for error in self.errors],
        }


# --- ingestion ------------------------------------------------------------------------------------


@transaction.atomic
def events_ingest(
    *, user: User, events: Any, now: datetime | None = None, scrobble: bool = True
) -> IngestResult:
    """Store a batch of events; invalid ones get an error entry, valid ones are stored.

    Idempotent per client event id (a retried batch stores nothing twice and moves no affinity).
    Refused as a whole (ConsentRequired, HTTP 403) without the listening_history consent.
    Plays and completions stored are sent on to the listener's linked media servers after the
    commit (``scrobble=False`` for imported history, which came from elsewhere).
    """
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    if not isinstance(events, list) or not events:
        raise ApplicationError("Send a JSON object with 'events': a non-empty list of events.")
    if len(events) > MAX_BATCH:
        raise BatchTooLarge(
            f"At most {MAX_BATCH} events in one request; this one has {len(events)}.",
            extra={"limit": MAX_BATCH},
        )
    now = now or timezone.now()
    parsed, errors = events_parse(events, now=now)
    parse_errors = len(errors)
    lookups = _batch_lookups(user, parsed)
    durations, versions = lookups.durations, lookups.versions
    accepted: list[tuple[EventIn, int | None]] = []
    seen: set[Any] = set()
    for event in parsed:
        if event.client_event_id in seen:
            continue  # a repeat within the batch: counted as a duplicate below
        seen.add(event.client_event_id)
        if event.track_id not in durations:
            errors.append(
                EventError(
                    event.index,
                    str(event.client_event_id),
                    "track",
                    f"No track {event.track_id} in the catalog.",
                )
            )
            continue
        version_id = None
        if event.playlist_id is not None:
            found = versions.get((event.playlist_id, event.version_number or 0))
            if found is None:
                errors.append(
                    EventError(
                        event.index,
                        str(event.client_event_id),
                        "version",
                        f"No version {event.version_number} of playlist {event.playlist_id} among yours.",
                    )
                )
                continue
            version_id = found[0]
        accepted.append((event, version_id))
    rejected = len(errors) - parse_errors
    errors.sort(key=lambda error: error.index)
    stored = _batch_store(user=user, accepted=accepted, lookups=lookups, now=now)
    if stored:
        plays = [
            (event.track_id, epoch_ms(event.occurred_at), event.kind == EventKind.COMPLETE)
            for event in stored
            if scrobble and event.kind in (EventKind.PLAY, EventKind.COMPLETE)
        ]
        # After the commit: the batch holds its affinity rows locked until then, and concurrent
        # batches of the listener wait on them; nothing else (a Redis round trip, a look-up of
        # their media-server links) should happen inside. The events are stored by then: a
        # failure here is logged, never turned into an error for a batch that was kept.
        transaction.on_commit(
            partial(_after_stored, user_id=user.pk, count=len(stored), plays=plays), robust=True
        )
    return IngestResult(stored=len(stored), duplicates=len(parsed) - len(stored) - rejected, errors=errors)


@dataclass
class _BatchLookups:
    durations: dict[int, int | None]  # the batch's tracks that exist -> length
    versions: dict[tuple[int, int], tuple[int, str]]  # (playlist, number) of the caller's -> (pk, policy)
    windows: list[tuple[datetime, datetime]]  # the caller's "leave out of my taste" windows


# The first row turns synchronous commit off for this transaction when the settings allow it:
# listening events tolerate losing the last fraction of a second on a database crash (never
# corruption), and not waiting for the WAL flush at commit is the largest saving per batch.
BATCH_LOOKUPS = """
SELECT 's', NULL, NULL, NULL,
    CASE WHEN %(asynchronous)s THEN set_config('synchronous_commit', 'off', true) END, NULL, NULL
UNION ALL
SELECT 't', id, duration_ms, NULL::int, NULL::text, NULL::timestamptz, NULL::timestamptz
FROM catalog_track WHERE id = ANY(%(tracks)s::int[])
UNION ALL
SELECT 'v', v.id, v.number, v.playlist_id, v.policy, NULL, NULL
FROM playlists_playlistversion v JOIN playlists_playlist p ON p.id = v.playlist_id
WHERE p.owner_id = %(user)s AND v.playlist_id = ANY(%(playlists)s::int[])
UNION ALL
SELECT 'w', NULL, NULL, NULL, NULL, starts_at, ends_at
FROM feedback_tasteexclusion WHERE user_id = %(user)s AND kind = 'window'
"""


def _batch_lookups(user: User, events: list[EventIn]) -> _BatchLookups:
    """Everything a batch must check against, in one round trip (this runs thousands of times a
    second): which tracks exist, which playlist versions are the caller's, their taste windows."""
    lookups = _BatchLookups(durations={}, versions={}, windows=[])
    tracks = list({event.track_id for event in events})
    playlists = list({event.playlist_id for event in events if event.playlist_id is not None})
    with _bound_cursor() as cursor:
        cursor.execute(
            BATCH_LOOKUPS,
            {
                "tracks": tracks,
                "playlists": playlists,
                "user": user.pk,
                "asynchronous": not settings.FEEDBACK_SYNCHRONOUS_COMMIT,
            },
        )
        for kind, pk, number, playlist_id, policy, starts_at, ends_at in cursor.fetchall():
            if kind == "s":
                continue
            if kind == "t":
                lookups.durations[pk] = number
            elif kind == "v":
                lookups.versions[(playlist_id, number)] = (pk, policy)
            else:
                lookups.windows.append((starts_at, ends_at))
    return lookups


def _weight(event: EventIn, durations: dict[int, int | None]) -> float:
    return event_weights.event_weight(
        event_weights.Signal(
            kind=event.kind,
            occurred_at=event.occurred_at,
            position_ms=event.position_ms,
            duration_ms=durations.get(event.track_id),
            ms_played=event.ms_played,
        )
    )


def _bound_cursor() -> psycopg.Cursor:
    """A server-side-binding cursor on Django's connection (same transaction).

    Django's psycopg backend binds parameters on the client, rendering every array element into
    the SQL text; for the batch statements (arrays of a few hundred values) sending them as bound
    parameters is several milliseconds faster per batch.
    """
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


# The whole write of a batch is this one statement, its rows sent as one JSON parameter (binding a
# dozen arrays element by element cost more than the database's work). What it does, in order:
# insert the events (duplicates by client id ignored); from the rows actually inserted, upsert the
# listener's track affinities (the latest like or dislike of a track decides its verdict), then
# the listener's bandit counts, then the global ones (user NULL, its own partial unique index).
# Each step takes its row locks in ascending key order (ORDER BY) and waits for the previous one to
# finish (it reads its count), so concurrent batches — of one listener or of many, on the same
# tracks and policies — lock rows in one order: they wait for each other but never deadlock.
STORE_BATCH = """
WITH batch AS (
    SELECT * FROM json_to_recordset(%(batch)s::json) AS b(
        ord int, id uuid, kind text, track int, version bigint, position smallint, position_ms int,
        ms_played int, occurred_at timestamptz, device text, local_hour smallint, weight float8,
        mass float8, verdict bool, policy text, wins float8, losses float8)
), inserted AS (
    INSERT INTO feedback_listeningevent
        (user_id, client_event_id, kind, track_id, version_id, position, position_ms, ms_played,
         occurred_at, received_at, device, local_hour, weight)
    SELECT %(user)s, id, kind, track, version, position, position_ms, ms_played,
        occurred_at, %(now)s, device, local_hour, weight
    FROM batch ORDER BY id
    ON CONFLICT (user_id, client_event_id) DO NOTHING
    RETURNING client_event_id
), fresh AS (
    SELECT batch.* FROM batch JOIN inserted ON inserted.client_event_id = batch.id
), verdicts AS (
    SELECT DISTINCT ON (track) track, verdict FROM fresh
    WHERE verdict IS NOT NULL ORDER BY track, occurred_at DESC, ord DESC
), affinities AS (
    INSERT INTO feedback_trackaffinity AS a (user_id, track_id, mass, events, last_event_at, disliked)
    SELECT %(user)s, fresh.track, sum(fresh.mass), count(*), max(fresh.occurred_at),
        coalesce(bool_or(verdicts.verdict), false)
    FROM fresh LEFT JOIN verdicts ON verdicts.track = fresh.track
    GROUP BY fresh.track ORDER BY fresh.track
    ON CONFLICT (user_id, track_id) DO UPDATE SET
        mass = a.mass + excluded.mass,
        events = a.events + excluded.events,
        last_event_at = GREATEST(a.last_event_at, excluded.last_event_at),
        disliked = coalesce((SELECT v.verdict FROM verdicts v WHERE v.track = excluded.track_id), a.disliked)
    RETURNING 1
), rewards AS (
    SELECT policy, sum(wins) AS wins, sum(losses) AS losses FROM fresh
    WHERE policy <> '' AND (wins <> 0 OR losses <> 0) AND (SELECT count(*) FROM affinities) >= 0
    GROUP BY policy
), mine AS (
    INSERT INTO feedback_policystat AS p (user_id, policy, successes, failures, updated_at)
    SELECT %(user)s, policy, wins, losses, now() FROM rewards ORDER BY policy
    ON CONFLICT (user_id, policy) DO UPDATE SET
        successes = p.successes + excluded.successes,
        failures = p.failures + excluded.failures,
        updated_at = excluded.updated_at
    RETURNING 1
), everyone AS (
    INSERT INTO feedback_policystat AS p (user_id, policy, successes, failures, updated_at)
    SELECT NULL, policy, wins, losses, now() FROM rewards
    WHERE (SELECT count(*) FROM mine) >= 0 ORDER BY policy
    ON CONFLICT (policy) WHERE user_id IS NULL DO UPDATE SET
        successes = p.successes + excluded.successes,
        failures = p.failures + excluded.failures,
        updated_at = excluded.updated_at
    RETURNING 1
)
SELECT coalesce((SELECT array_agg(ord) FROM fresh), '{}'), (SELECT count(*) FROM everyone)
"""


def _batch_store(
    *, user: User, accepted: list[tuple[EventIn, int | None]], lookups: _BatchLookups, now: datetime
) -> list[EventIn]:
    """Store the accepted events, fold the new ones into affinities and bandit counts (one round
    trip); the events actually stored (not stored before), in batch order."""
    if not accepted:
        return []
    rows = [_batch_row(event, version_id, lookups) for event, version_id in accepted]
    with _bound_cursor() as cursor:
        cursor.execute(STORE_BATCH, {"batch": json.dumps(rows), "user": user.pk, "now": now})
        row = cursor.fetchone()
    stored_indexes = set(row[0]) if row else set()
    return [event for event, _ in accepted if event.index in stored_indexes]


VERDICTS: dict[str, bool] = {EventKind.LIKE: False, EventKind.DISLIKE: True}


def _batch_row(event: EventIn, version_id: int | None, lookups: _BatchLookups) -> dict[str, Any]:
    """One event as the statement reads it, with its weight, its decay-scaled mass (none inside
    an excluded time window), its verdict and what it credits the policy that built its version."""
    duration_ms = lookups.durations.get(event.track_id)
    weight = _weight(event, lookups.durations)
    excluded = any(start <= event.occurred_at < end for start, end in lookups.windows)
    policy, wins, losses = "", 0.0, 0.0
    if version_id is not None:
        policy = lookups.versions[(event.playlist_id or 0, event.version_number or 0)][1] or ""
        wins, losses = bandit.reward_counts(
            event_weights.reward_kind(event.kind, event.position_ms, duration_ms, event.ms_played)
        )
    return {
        "ord": event.index,
        "id": str(event.client_event_id),
        "kind": event.kind,
        "track": event.track_id,
        "version": version_id,
        "position": event.position,
        "position_ms": event.position_ms,
        "ms_played": event.ms_played,
        "occurred_at": event.occurred_at.isoformat(),
        "device": event.device,
        "local_hour": event.local_hour,
        "weight": weight,
        "mass": 0.0 if excluded else event_weights.mass(weight, event.occurred_at),
        "verdict": VERDICTS.get(event.kind),
        "policy": policy,
        "wins": wins,
        "losses": losses,
    }


def exclusion_windows(user: User) -> list[tuple[datetime, datetime]]:
    return [
        (start, end)
        for start, end in TasteExclusion.objects.filter(user=user, kind=ExclusionKind.WINDOW).values_list(
            "starts_at", "ends_at"
        )
        if start is not None and end is not None
    ]


@dataclass
class AffinityDelta:
    """Per-track sums of decay-scaled weights; events in an excluded window count, weigh nothing."""

    windows: list[tuple[datetime, datetime]]
    masses: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    last: dict[int, datetime] = field(default_factory=dict)
    # The latest like or dislike decides whether a track is "disliked" (never served again).
    verdicts: dict[int, tuple[datetime, bool]] = field(default_factory=dict)

    def add(self, track: int, kind: str, weight: float, occurred_at: datetime) -> None:
        self.counts[track] += 1
        self.last[track] = max(self.last.get(track, occurred_at), occurred_at)
        if kind in ("like", "dislike") and (
            track not in self.verdicts or self.verdicts[track][0] <= occurred_at
        ):
            self.verdicts[track] = (occurred_at, kind == "dislike")
        if not any(start <= occurred_at < end for start, end in self.windows):
            self.masses[track] += event_weights.mass(weight, occurred_at)


def _after_stored(*, user_id: int, count: int, plays: list[tuple[int, int, bool]]) -> None:
    """What follows a stored batch: the metric, the listener's CF vector refresh (debounced),
    the plays sent on to their linked media servers."""
    metrics_count_events(count)
    _user_vector_refresh_soon(user_id)
    if plays:
        scrobbles_queue(user_id=user_id, plays=plays)


def _user_vector_refresh_soon(user_id: int) -> None:
    """Queue one CF vector refresh per listener per debounce window (not one per batch)."""
    if cache.add(f"feedback:user-vector:{user_id}", 1, USER_VECTOR_DEBOUNCE_SECONDS):
        user_vector_refresh_queue(user_id=user_id)
