"""Listening-event ingestion: validate a batch, store it once, and fold it into the listener's
affinities and bandit counts in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
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
    if not settings.FEEDBACK_SYNCHRONOUS_COMMIT:
        # Listening events tolerate losing the last fraction of a second on a database crash
        # (never corruption); not waiting for the WAL flush at commit is the largest saving per
        # batch. Only this transaction is affected.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
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
    inserted = _events_insert(user=user, accepted=accepted, durations=durations, now=now)
    stored = [(event, version_id) for event, version_id in accepted if event.client_event_id in inserted]
    if stored:
        _affinity_apply(user=user, stored=stored, durations=durations, windows=lookups.windows)
        _bandit_apply(user=user, stored=stored, durations=durations, versions=versions)
        _user_vector_refresh_soon(user.pk)
        count = len(stored)
        transaction.on_commit(lambda: metrics_count_events(count))
        if scrobble:
            scrobbles_queue(
                user_id=user.pk,
                plays=[
                    (event.track_id, epoch_ms(event.occurred_at), event.kind == EventKind.COMPLETE)
                    for event, _ in stored
                    if event.kind in (EventKind.PLAY, EventKind.COMPLETE)
                ],
            )
    return IngestResult(stored=len(stored), duplicates=len(parsed) - len(stored) - rejected, errors=errors)


@dataclass
class _BatchLookups:
    durations: dict[int, int | None]  # the batch's tracks that exist -> length
    versions: dict[tuple[int, int], tuple[int, str]]  # (playlist, number) of the caller's -> (pk, policy)
    windows: list[tuple[datetime, datetime]]  # the caller's "leave out of my taste" windows


BATCH_LOOKUPS = """
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
        cursor.execute(BATCH_LOOKUPS, {"tracks": tracks, "playlists": playlists, "user": user.pk})
        for kind, pk, number, playlist_id, policy, starts_at, ends_at in cursor.fetchall():
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


INSERT_EVENTS = """
INSERT INTO feedback_listeningevent
    (user_id, client_event_id, kind, track_id, version_id, position, position_ms, ms_played,
     occurred_at, received_at, device, local_hour, weight)
SELECT %s, * FROM unnest(
    %s::uuid[], %s::text[], %s::int[], %s::bigint[], %s::smallint[], %s::int[], %s::int[],
    %s::timestamptz[], %s::timestamptz[], %s::text[], %s::smallint[], %s::float8[])
ON CONFLICT (user_id, client_event_id) DO NOTHING
RETURNING client_event_id
"""


def _bound_cursor() -> psycopg.Cursor:
    """A server-side-binding cursor on Django's connection (same transaction).

    Django's psycopg backend binds parameters on the client, rendering every array element into
    the SQL text; for the batch statements (arrays of a few hundred values) sending them as bound
    parameters is several milliseconds faster per batch.
    """
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _events_insert(
    *, user: User, accepted: list[tuple[EventIn, int | None]], durations: dict[int, int | None], now: datetime
) -> set[Any]:
    """One INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING; returns the ids actually stored."""
    if not accepted:
        return set()
    columns: list[list[Any]] = [[] for _ in range(12)]
    # In client id order: a batch retried while the first try is still running waits for it on
    # the same ids in the same order (no deadlock).
    for event, version_id in sorted(accepted, key=lambda pair: str(pair[0].client_event_id)):
        row = (
            event.client_event_id,
            event.kind,
            event.track_id,
            version_id,
            event.position,
            event.position_ms,
            event.ms_played,
            event.occurred_at,
            now,
            event.device,
            event.local_hour,
            _weight(event, durations),
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    with _bound_cursor() as cursor:
        cursor.execute(INSERT_EVENTS, [user.pk, *columns])
        return {row[0] for row in cursor.fetchall()}


# Concurrent batches of one listener touch overlapping affinity rows: every statement below locks
# its rows in ascending key order (sorted arrays, ORDER BY), so two batches wait for each other but
# never deadlock. The upsert leaves "disliked" as it was; the batch's verdicts are set afterwards
# on rows this transaction already holds, so that second statement takes no new locks.
UPSERT_AFFINITY = """
INSERT INTO feedback_trackaffinity AS a (user_id, track_id, mass, events, last_event_at, disliked)
SELECT %(user)s, track_id, mass, events, last_event_at, disliked
FROM unnest(
    %(tracks)s::int[], %(masses)s::float8[], %(counts)s::int[], %(last)s::timestamptz[], %(disliked)s::bool[]
) AS t(track_id, mass, events, last_event_at, disliked)
ORDER BY track_id
ON CONFLICT (user_id, track_id) DO UPDATE SET
    mass = a.mass + excluded.mass,
    events = a.events + excluded.events,
    last_event_at = GREATEST(a.last_event_at, excluded.last_event_at)
"""

SET_VERDICTS = """
UPDATE feedback_trackaffinity AS a SET disliked = t.disliked
FROM unnest(%(tracks)s::int[], %(disliked)s::bool[]) AS t(track_id, disliked)
WHERE a.user_id = %(user)s AND a.track_id = t.track_id AND a.disliked IS DISTINCT FROM t.disliked
"""


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


def _affinity_apply(
    *,
    user: User,
    stored: list[tuple[EventIn, int | None]],
    durations: dict[int, int | None],
    windows: list[tuple[datetime, datetime]],
) -> None:
    """Add the new events' decay-scaled weights to the listener's per-track affinities."""
    delta = AffinityDelta(windows=windows)
    for event, _ in stored:
        delta.add(event.track_id, event.kind, _weight(event, durations), event.occurred_at)
    tracks = sorted(delta.counts)
    judged = sorted(delta.verdicts)
    with _bound_cursor() as cursor:
        cursor.execute(
            UPSERT_AFFINITY,
            {
                "user": user.pk,
                "tracks": tracks,
                "masses": [delta.masses[track] for track in tracks],
                "counts": [delta.counts[track] for track in tracks],
                "last": [delta.last[track] for track in tracks],
                "disliked": [delta.verdicts.get(track, (None, False))[1] for track in tracks],
            },
        )
        if judged:
            cursor.execute(
                SET_VERDICTS,
                {
                    "user": user.pk,
                    "tracks": judged,
                    "disliked": [delta.verdicts[track][1] for track in judged],
                },
            )


# The listener's counts, then the global ones (user NULL, its own partial unique index) that every
# listener's batches update: each statement locks its rows in policy order (no deadlock).
UPSERT_POLICY_MINE = """
INSERT INTO feedback_policystat AS p (user_id, policy, successes, failures, updated_at)
SELECT %(user)s, policy, s, f, now()
FROM unnest(%(policies)s::text[], %(wins)s::float8[], %(losses)s::float8[]) AS t(policy, s, f)
ORDER BY policy
ON CONFLICT (user_id, policy) DO UPDATE SET
    successes = p.successes + excluded.successes,
    failures = p.failures + excluded.failures,
    updated_at = excluded.updated_at
"""

UPSERT_POLICY_GLOBAL = """
INSERT INTO feedback_policystat AS p (user_id, policy, successes, failures, updated_at)
SELECT NULL, policy, s, f, now()
FROM unnest(%(policies)s::text[], %(wins)s::float8[], %(losses)s::float8[]) AS t(policy, s, f)
ORDER BY policy
ON CONFLICT (policy) WHERE user_id IS NULL DO UPDATE SET
    successes = p.successes + excluded.successes,
    failures = p.failures + excluded.failures,
    updated_at = excluded.updated_at
"""


def _bandit_apply(
    *,
    user: User,
    stored: list[tuple[EventIn, int | None]],
    durations: dict[int, int | None],
    versions: dict[tuple[int, int], tuple[int, str]],
) -> None:
    """Credit the policy that built each event's version (the listener's counts and the global)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for event, version_id in stored:
        if version_id is None:
            continue
        policy = versions[(event.playlist_id or 0, event.version_number or 0)][1]
        if not policy:
            continue
        successes, failures = bandit.reward_counts(
            event_weights.reward_kind(
                event.kind, event.position_ms, durations.get(event.track_id), event.ms_played
            )
        )
        if successes or failures:
            totals[policy][0] += successes
            totals[policy][1] += failures
    if not totals:
        return
    policies = sorted(totals)
    wins = [totals[policy][0] for policy in policies]
    losses = [totals[policy][1] for policy in policies]
    parameters = {"user": user.pk, "policies": policies, "wins": wins, "losses": losses}
    with _bound_cursor() as cursor:
        cursor.execute(UPSERT_POLICY_MINE, parameters)
        cursor.execute(UPSERT_POLICY_GLOBAL, parameters)


def _user_vector_refresh_soon(user_id: int) -> None:
    """Queue one CF vector refresh per listener per debounce window (not one per batch)."""
    from feedback.tasks import refresh_user_vector

    if cache.add(f"feedback:user-vector:{user_id}", 1, USER_VECTOR_DEBOUNCE_SECONDS):
        refresh_user_vector.delay_on_commit(user_id=user_id)  # type: ignore[attr-defined]
