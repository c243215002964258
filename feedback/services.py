"""Every write of the feedback loop: event ingestion, affinities, taste exclusions, CF factors,
bandit counts, and the privacy hooks (erasure, retention, withdrawn listening history)."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import numpy as np
import psycopg
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.consent import ConsentRequired, consent_allows, consent_require, users_consenting
from accounts.models import ConsentPurpose, User
from catalog.models import Artist, JobStatus, Track
from catalog.subsonic_services import epoch_ms, scrobbles_queue
from config.errors import ApplicationError
from config.jobs import LOST_WORKER_MESSAGE, job_heartbeat, jobs_sweep_stale
from config.metrics import metrics_count_events
from feedback.events import MAX_BATCH, MAX_POSITION_MS, EventError, EventIn, events_parse
from feedback.history_formats import HistoryFormatError, Play, RowProblem, ZipLimits, history_read
from feedback.learning import bandit, cf, event_weights
from feedback.matching import plays_match
from feedback.models import (
    CFModelRun,
    EventKind,
    ExclusionKind,
    HistoryFormat,
    HistoryImport,
    ItemFactor,
    ListeningEvent,
    PolicyStat,
    TasteExclusion,
    TrackAffinity,
    UserFactor,
)

logger = logging.getLogger(__name__)

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


def _exclusion_windows(user: User) -> list[tuple[datetime, datetime]]:
    return [
        (start, end)
        for start, end in TasteExclusion.objects.filter(user=user, kind=ExclusionKind.WINDOW).values_list(
            "starts_at", "ends_at"
        )
        if start is not None and end is not None
    ]


@dataclass
class _AffinityDelta:
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
    delta = _AffinityDelta(windows=windows)
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


# --- affinities and taste exclusions ---------------------------------------------------------------


@transaction.atomic
def affinity_rebuild(*, user: User) -> int:
    """Recompute the listener's affinities from their raw events (after a window exclusion)."""
    delta = _AffinityDelta(windows=_exclusion_windows(user))
    for track, kind, weight, occurred_at in ListeningEvent.objects.filter(user=user).values_list(
        "track_id", "kind", "weight", "occurred_at"
    ):
        delta.add(track, kind, weight, occurred_at)
    TrackAffinity.objects.filter(user=user).delete()
    TrackAffinity.objects.bulk_create(
        TrackAffinity(
            user=user,
            track_id=track,
            mass=delta.masses[track],
            events=delta.counts[track],
            last_event_at=delta.last[track],
            disliked=delta.verdicts.get(track, (delta.last[track], False))[1],
        )
        for track in delta.counts
    )
    return len(delta.counts)


@transaction.atomic
def taste_exclusion_add(
    *,
    user: User,
    track_id: int | None = None,
    artist_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> TasteExclusion:
    """Leave a track, an artist or a time window out of the listener's taste; applies at once,
    to the affinities generation reads and to the listener's CF vector."""
    given = [track_id is not None, artist_id is not None, starts_at is not None or ends_at is not None]
    if sum(given) != 1:
        raise ApplicationError("Leave out one thing: a track, an artist, or a time window.")
    for kind, model, object_id in (
        (ExclusionKind.TRACK, Track, track_id),
        (ExclusionKind.ARTIST, Artist, artist_id),
    ):
        if object_id is None:
            continue
        if not model.objects.filter(pk=object_id).exists():
            raise ApplicationError(f"No {kind} {object_id} in the catalog.")
        target: dict[str, Any] = {f"{kind}_id": object_id}
        exclusion, _ = TasteExclusion.objects.get_or_create(user=user, kind=kind, **target)
        user_vector_refresh(user_id=user.pk)
        return exclusion
    if starts_at is None or ends_at is None or starts_at >= ends_at:
        raise ApplicationError("A time window needs a start before its end.")
    exclusion = TasteExclusion.objects.create(
        user=user, kind=ExclusionKind.WINDOW, starts_at=starts_at, ends_at=ends_at
    )
    affinity_rebuild(user=user)
    user_vector_refresh(user_id=user.pk)
    return exclusion


@transaction.atomic
def taste_exclusion_remove(*, exclusion: TasteExclusion) -> None:
    """Put it back in the taste (a window's events count again at once)."""
    user = exclusion.user
    exclusion.delete()
    if exclusion.kind == ExclusionKind.WINDOW:
        affinity_rebuild(user=user)
    user_vector_refresh(user_id=user.pk)


# --- collaborative filtering ---------------------------------------------------------------------

MIN_TRAIN_USERS = 2


def cf_train(*, factors: int = cf.FACTORS, iterations: int = cf.ITERATIONS) -> CFModelRun | None:
    """Retrain ALS on every positive affinity and store user and item factors.

    What a listener left out of their taste (a track, an artist's tracks) is not trained on: it
    shapes neither their vector nor, through them, the items'. Nor is anything of a listener who
    does not (or no longer) consent to personalization: they get no vector either.

    None: too little data, or the quality gate refused the new model — evaluated with the
    current one on the affinities that are new since the current model was trained (neither
    model has seen them), it must not do worse (``editorial.ops_services.model_promotion_decide``
    records every decision for the monitoring panel).
    """
    started = time.perf_counter()
    decay = event_weights.decay_factor(timezone.now())
    rows = list(
        TrackAffinity.objects.outside_exclusions()
        .filter(mass__gt=0, user_id__in=users_consenting(ConsentPurpose.PERSONALIZATION))
        .values_list("user_id", "track_id", "mass")
    )
    users = sorted({row[0] for row in rows})
    if len(users) < MIN_TRAIN_USERS:
        return None
    items = sorted({row[1] for row in rows})
    user_row = {user: index for index, user in enumerate(users)}
    item_col = {item: index for index, item in enumerate(items)}
    cells = np.array([(user_row[row[0]], item_col[row[1]]) for row in rows])
    weights = np.array([row[2] * decay for row in rows], dtype=np.float32)
    shape = (len(users), len(items))
    current = CFModelRun.objects.filter(finished_at__isnull=False).order_by("-pk").first()
    if current is not None:
        # Affinities that events received since the current model was trained added to or moved.
        new_pairs = set(
            ListeningEvent.objects.filter(received_at__gt=current.started_at).values_list(
                "user_id", "track_id"
            )
        )
        recent = np.array([(row[0], row[1]) in new_pairs for row in rows], dtype=bool)
        promotion = _cf_promotion_check(
            cells=cells,
            weights=weights,
            recent=recent,
            shape=shape,
            items=items,
            factors=factors,
            iterations=iterations,
        )
        if promotion is not None and not promotion.promoted:
            return None
    matrix = cf.interaction_matrix(cells[:, 0], cells[:, 1], weights, shape)
    trained = cf.als_train(matrix, factors=factors, iterations=iterations)
    return _factors_store(users=users, items=items, trained=trained, interactions=len(rows), started=started)


CF_PROMOTION_K = 20


def _cf_promotion_check(
    *,
    cells: np.ndarray,
    weights: np.ndarray,
    recent: np.ndarray,
    shape: tuple[int, int],
    items: list[int],
    factors: int,
    iterations: int,
) -> Any:
    """Both models on the new affinities of listeners the current model knew; None: too little to
    judge by (fewer such listeners than MODEL_PROMOTION_MIN_USERS)."""
    from editorial.ops.quality import ModelMetrics
    from editorial.ops_services import model_promotion_decide

    train = cf.interaction_matrix(cells[~recent, 0], cells[~recent, 1], weights[~recent], shape)
    known_users = set(cells[~recent, 0].tolist())
    test: dict[int, set[int]] = defaultdict(set)
    for user, item in cells[recent]:
        if int(user) in known_users:
            test[int(user)].add(int(item))
    k = min(CF_PROMOTION_K, shape[1] - 1)
    if len(test) < settings.MODEL_PROMOTION_MIN_USERS or k < 1:
        # Too few listeners with new affinities to tell a worse model from noise: retrain.
        return None
    test_users = sorted(test)
    candidate = cf.als_train(train, factors=factors, iterations=iterations)
    candidate_metrics = cf.ranking_metrics(cf.recommend_factors(candidate, train, test_users, k), test, k)
    current_metrics = cf.ranking_metrics(_cf_current_recommendations(train, test_users, items, k), test, k)
    return model_promotion_decide(
        model_name="cf-als",
        candidate_version=f"{shape[0]} listeners x {shape[1]} tracks",
        current=ModelMetrics(*current_metrics, users=len(test_users)),
        candidate=ModelMetrics(*candidate_metrics, users=len(test_users)),
    )


def _cf_current_recommendations(
    train: Any, users: list[int], items: list[int], k: int
) -> dict[int, np.ndarray]:
    """The stored model's top k per listener, its user vectors solved from ``train`` alone (the
    stored ones may already have folded the held-out affinities in)."""
    stored = dict(ItemFactor.objects.filter(track_id__in=items).values_list("track_id", "vector"))
    known = np.array([item in stored for item in items])
    item_factors = np.zeros(
        (len(items), cf.FACTORS if not stored else len(next(iter(stored.values())))), np.float32
    )
    for column, item in enumerate(items):
        if item in stored:
            item_factors[column] = stored[item]
    recommendations = {}
    for user in users:
        seen = train.indices[train.indptr[user] : train.indptr[user + 1]]
        vector = cf.user_vector(
            item_factors, seen, cf.confidence_of(train.data[train.indptr[user] : train.indptr[user + 1]])
        )
        scores = np.where(known, item_factors @ vector, -np.inf)
        recommendations[user] = cf.top_k_excluding(scores, seen, k)
    return recommendations


@transaction.atomic
def _factors_store(
    *, users: list[int], items: list[int], trained: cf.Factors, interactions: int, started: float
) -> CFModelRun:
    item_factors = np.stack([_pad(vector) for vector in trained.items])
    run = CFModelRun.objects.create(
        users=len(users),
        items=len(items),
        interactions=interactions,
        item_gram=cf.item_gram(item_factors).ravel().tolist(),
    )
    ItemFactor.objects.all().delete()
    ItemFactor.objects.bulk_create(
        (
            ItemFactor(track_id=item, vector=item_factors[index], model_version=run.pk)
            for index, item in enumerate(items)
        ),
        batch_size=2000,
    )
    UserFactor.objects.all().delete()
    UserFactor.objects.bulk_create(
        UserFactor(user_id=user, vector=_pad(trained.users[index]), model_version=run.pk)
        for index, user in enumerate(users)
    )
    run.finished_at = timezone.now()
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["finished_at", "seconds"])
    return run


def _pad(vector: np.ndarray) -> np.ndarray:
    """Factors of a smaller model fit the fixed-size column (zeros do not change dot products)."""
    padded = np.zeros(cf.FACTORS, dtype=np.float32)
    padded[: min(len(vector), cf.FACTORS)] = vector[: cf.FACTORS]
    return padded


# A listener's strongest affinities the refresh solves for; training uses them all, and a vector
# from the strongest few thousand differs from it only for the most prolific listeners.
USER_VECTOR_MAX_ITEMS = 5000


@transaction.atomic
def user_vector_refresh(*, user_id: int) -> bool:
    """Recompute one listener's CF vector from the stored model (no retrain).

    Reads the item factors of the listener's own tracks only (their strongest
    USER_VECTOR_MAX_ITEMS affinities outside their taste exclusions) and the model's YᵀY. With
    none of those tracks in the model the listener's vector goes: nothing they kept drives it.
    False when no vector was written.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    if not consent_allows(user, ConsentPurpose.PERSONALIZATION):
        UserFactor.objects.filter(user=user).delete()
        return False
    observed = list(
        TrackAffinity.objects.outside_exclusions()
        .filter(user=user, mass__gt=0, track__cf_factor__isnull=False)
        .order_by("-mass")
        .values_list("mass", "track__cf_factor__vector", "track__cf_factor__model_version")[
            :USER_VECTOR_MAX_ITEMS
        ]
    )
    if not observed:
        UserFactor.objects.filter(user=user).delete()
        return False
    model_version = observed[0][2]
    gram = CFModelRun.objects.filter(pk=model_version).values_list("item_gram", flat=True).first()
    if not gram:
        return False  # no such model, or one stored without its YᵀY: the next training stores both
    decay = event_weights.decay_factor(timezone.now())
    vector = cf.user_vector_solve(
        np.asarray(gram, dtype=np.float64).reshape(cf.FACTORS, cf.FACTORS),
        np.asarray([row[1] for row in observed], dtype=np.float32),
        cf.confidence_of(np.array([row[0] * decay for row in observed], dtype=np.float32)),
    )
    UserFactor.objects.update_or_create(
        user=user, defaults={"vector": vector, "model_version": model_version}
    )
    return True


# --- privacy hooks -----------------------------------------------------------------------------------


def _fold_into_anonymous_counts(events: Any) -> int:
    """Add per-(track, kind) counts of these events to the anonymous counts, then delete them."""
    grouped = list(
        events.order_by()
        .values("track_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("track_id", "kind", "n")
    )
    if grouped:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO feedback_anonymoustrackcount (track_id, kind, count)
                SELECT * FROM unnest(%s::int[], %s::text[], %s::int[])
                ON CONFLICT (track_id, kind) DO UPDATE
                SET count = feedback_anonymoustrackcount.count + excluded.count
                """,
                [[row[0] for row in grouped], [row[1] for row in grouped], [row[2] for row in grouped]],
            )
    deleted, _ = events.delete()
    return int(deleted)


def events_erase_for_user(*, user: Any) -> None:
    """Erasure hook: the listener's events become anonymous per-track counts before deletion."""
    _fold_into_anonymous_counts(ListeningEvent.objects.filter(user=user))


def cf_factors_withdraw(*, user: Any) -> None:
    """Withdrawal hook (personalization): the listener's CF vector goes at once; the next training
    leaves their affinities out (cf_train)."""
    UserFactor.objects.filter(user=user).delete()


def listening_history_erase(*, user: Any) -> int:
    """Purpose eraser (listening_history withdrawn, data asked gone): events and what came of them."""
    deleted = _fold_into_anonymous_counts(ListeningEvent.objects.filter(user=user))
    for job in HistoryImport.objects.filter(user=user).exclude(file=""):
        job.file.delete(save=False)  # an upload not yet imported
    for queryset in (
        # The import reports name the listener's unmatched tracks: history too.
        HistoryImport.objects.filter(user=user),
        TrackAffinity.objects.filter(user=user),
        TasteExclusion.objects.filter(user=user),
        UserFactor.objects.filter(user=user),
        PolicyStat.objects.filter(user=user),
    ):
        count, _ = queryset.delete()
        deleted += count
    return deleted


def events_retention_purge(*, cutoff: datetime) -> int:
    """Retention hook: raw events older than the cutoff become anonymous counts and go.

    Affinities keep their (decayed) masses: they are the derived profile, not raw events.
    """
    return _fold_into_anonymous_counts(ListeningEvent.objects.filter(occurred_at__lt=cutoff))


# --- listening-history imports ------------------------------------------------------------------

HISTORY_BATCH = MAX_BATCH  # plays matched and stored per transaction
HISTORY_SKIPPED_KEPT = 200
HISTORY_UNMATCHED_KEPT = 100
# Plays shorter than this were skipped (Spotify's own "skipped" flag is often unset).
HISTORY_SKIP_MS = 30_000
# Event ids derive from (listener, time, track): the same play imported twice is one event.
HISTORY_EVENT_NAMESPACE = uuid.UUID("5e6b0f5e-8f8e-4e39-9b0e-2f1a3c1d6a01")


@dataclass
class HistoryImportSummary:
    plays_read: int = 0
    plays_matched: int = 0
    plays_unmatched: int = 0
    events_stored: int = 0
    events_already_imported: int = 0
    rows_skipped: int = 0
    skipped: list[RowProblem] = field(default_factory=list)
    unmatched: Counter[tuple[str, str]] = field(default_factory=Counter)

    def skip(self, problem: RowProblem) -> None:
        self.rows_skipped += 1
        if len(self.skipped) < HISTORY_SKIPPED_KEPT:
            self.skipped.append(problem)

    def unmatched_report(self) -> list[dict[str, Any]]:
        return [
            {"artist": artist, "title": title, "plays": plays}
            for (artist, title), plays in self.unmatched.most_common(HISTORY_UNMATCHED_KEPT)
        ]


class HistoryFileTooLarge(ApplicationError):
    """An uploaded history over HISTORY_UPLOAD_MAX_BYTES (the API answers 413)."""


class HistoryImportBusy(ApplicationError):
    """The listener already has an import queued or running (the API answers 409)."""


HISTORY_BUSY_MESSAGE = (
    "An import of yours is already queued or running; start the next one when it has finished."
)
HISTORY_JOB = "history_import"  # its heartbeat kind (config.jobs)


class _JobTakenAway(Exception):
    """The job's row is no longer running (the stale sweep failed it): stop quietly."""


def history_import_request(*, user: User, uploaded_file: UploadedFile, history_format: str) -> HistoryImport:
    """Check and store an uploaded history file, and queue its import (a background job)."""
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    if history_format not in HistoryFormat.values:
        raise ApplicationError(
            f"Unknown history format “{history_format}”; use one of {', '.join(HistoryFormat.values)}."
        )
    size = uploaded_file.size or 0
    if size > settings.HISTORY_UPLOAD_MAX_BYTES:
        raise HistoryFileTooLarge(
            f"The file is {size:,} bytes; uploads up to {settings.HISTORY_UPLOAD_MAX_BYTES:,} bytes are "
            "accepted (larger histories: `manage.py import_history`).",
            extra={"limit": settings.HISTORY_UPLOAD_MAX_BYTES},
        )
    if not size:
        raise ApplicationError("The file is empty.")
    from feedback.tasks import run_history_import

    if HistoryImport.objects.filter(user=user, status__in=HISTORY_ACTIVE).exists():
        raise HistoryImportBusy(HISTORY_BUSY_MESSAGE)
    try:
        with transaction.atomic():
            # The partial unique index (one unfinished import per listener) settles a race.
            job = HistoryImport.objects.create(
                user=user,
                history_format=history_format,
                original_name=(uploaded_file.name or "history")[:255],
                bytes_total=size,
            )
            job.file.save(f"{job.pk}-{uuid.uuid4().hex}", uploaded_file, save=True)
            run_history_import.delay_on_commit(import_id=job.pk)  # type: ignore[attr-defined]
    except IntegrityError as error:
        raise HistoryImportBusy(HISTORY_BUSY_MESSAGE) from error
    return job


HISTORY_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def history_import_run(*, import_id: int) -> None:
    """Run a queued history import (the worker). Idempotent: only a queued job is started."""
    if not HistoryImport.objects.filter(pk=import_id, status=JobStatus.QUEUED).exists():
        return  # finished, or running in another worker (a redelivered message): nothing to do
    job_heartbeat(HISTORY_JOB, import_id)  # before the claim, so the sweep never sees it running unbeaten
    claimed = HistoryImport.objects.filter(pk=import_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    if claimed != 1:
        return
    job = HistoryImport.objects.select_related("user").get(pk=import_id)
    summary = HistoryImportSummary()
    try:
        with job.file.open("rb") as handle:
            summary = history_import_stream(
                user=job.user,
                handle=handle,
                history_format=job.history_format,
                name=job.original_name,
                summary=summary,
                on_progress=lambda: _history_job_record(job, summary, bytes_read=handle.tell()),
                zip_limits=ZipLimits(
                    max_inflated_bytes=settings.HISTORY_ZIP_MAX_INFLATED_BYTES,
                    max_ratio=settings.HISTORY_ZIP_MAX_RATIO,
                ),
            )
    except _JobTakenAway:
        logger.warning("History import %s was failed by the stale sweep while running; stopped.", import_id)
        return
    except (HistoryFormatError, ApplicationError, ConsentRequired) as error:
        _history_job_finish(job, summary, status=JobStatus.FAILED, error=_stopped_message(error, summary))
        return
    except Exception as error:
        # Never leave a job running forever; the worker log keeps the traceback.
        message = f"Internal error: {type(error).__name__}. {history_partial_note(summary)}"
        _history_job_finish(job, summary, status=JobStatus.FAILED, error=message.strip())
        raise
    _history_job_finish(job, summary, status=JobStatus.SUCCEEDED)


def _stopped_message(error: Exception, summary: HistoryImportSummary) -> str:
    detail = getattr(error, "detail", None) or str(error)
    return f"{detail} {history_partial_note(summary)}".strip()


def history_partial_note(summary: HistoryImportSummary) -> str:
    if not summary.events_stored:
        return "Nothing was imported."
    return (
        f"The {summary.events_stored:,} plays read before this point were imported; import the "
        "file again once it is fixed — plays already imported are not added twice."
    )


def history_import_stream(
    *,
    user: User,
    handle: IO[bytes],
    history_format: str,
    name: str,
    summary: HistoryImportSummary | None = None,
    on_progress: Callable[[], object] | None = None,
    zip_limits: ZipLimits | None = None,
) -> HistoryImportSummary:
    """Import a history file into ``user``'s listening events, batch by batch (each batch all or
    nothing). Plays are matched to the catalog (Spotify URI, ISRC, MusicBrainz id, else artist +
    title); unmatched plays and unreadable rows are counted and reported, never stored."""
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    summary = summary if summary is not None else HistoryImportSummary()
    batch: list[Play] = []
    for parsed in history_read(handle, history_format=history_format, name=name, zip_limits=zip_limits):
        if isinstance(parsed, RowProblem):
            summary.skip(parsed)
            continue
        summary.plays_read += 1
        batch.append(parsed)
        if len(batch) == HISTORY_BATCH:
            _history_batch_import(user=user, plays=batch, history_format=history_format, summary=summary)
            batch = []
            if on_progress is not None:
                on_progress()
    if batch:
        _history_batch_import(user=user, plays=batch, history_format=history_format, summary=summary)
    if on_progress is not None:
        on_progress()
    return summary


def _history_batch_import(
    *, user: User, plays: list[Play], history_format: str, summary: HistoryImportSummary
) -> None:
    matches = plays_match(plays=plays)
    events = [
        _history_event(user=user, play=play, track_id=track_id, history_format=history_format)
        for play, track_id in zip(plays, matches.track_ids, strict=True)
        if track_id is not None
    ]
    summary.plays_matched += len(events)
    summary.plays_unmatched += len(matches.unmatched)
    summary.unmatched.update((play.artist_name, play.track_name) for play in matches.unmatched)
    if not events:
        return
    result = events_ingest(user=user, events=events, scrobble=False)
    summary.events_stored += result.stored
    summary.events_already_imported += result.duplicates
    for error in result.errors:
        event = events[error.index]
        summary.skip(RowProblem(f"play at {event['occurred_at']}", error.message))


def _history_event(*, user: User, play: Play, track_id: int, history_format: str) -> dict[str, Any]:
    """The listening event a play becomes: a skip when it was skipped or short, else a completion."""
    occurred_at = play.ts if play.ts.tzinfo else play.ts.replace(tzinfo=UTC)
    short = history_format == HistoryFormat.SPOTIFY and play.ms_played < HISTORY_SKIP_MS
    kind = "skip" if play.skipped or short else "complete"
    event: dict[str, Any] = {
        "id": str(uuid.uuid5(HISTORY_EVENT_NAMESPACE, f"{user.pk}|{occurred_at.isoformat()}|{track_id}")),
        "kind": kind,
        "track": track_id,
        "occurred_at": occurred_at.isoformat(),
    }
    if kind == "skip":
        event["position_ms"] = event["ms_played"] = min(play.ms_played, MAX_POSITION_MS)
    return event


HISTORY_PROGRESS_FIELDS = [
    "bytes_read",
    "plays_read",
    "plays_matched",
    "plays_unmatched",
    "events_stored",
    "events_already_imported",
    "rows_skipped",
]


def _history_job_record(job: HistoryImport, summary: HistoryImportSummary, *, bytes_read: int) -> None:
    """Progress after each batch: counts only, in constant time (the unmatched-track and skipped-row
    reports are written once, at the end), and a heartbeat. Stops the import (_JobTakenAway) when
    the job is no longer running (the stale sweep failed it)."""
    _history_job_counts(job, summary, bytes_read=bytes_read)
    updated = HistoryImport.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        **{name: getattr(job, name) for name in HISTORY_PROGRESS_FIELDS}
    )
    if updated != 1:
        raise _JobTakenAway
    job_heartbeat(HISTORY_JOB, job.pk)


def _history_job_counts(job: HistoryImport, summary: HistoryImportSummary, *, bytes_read: int) -> None:
    job.bytes_read = min(bytes_read, job.bytes_total)
    job.plays_read = summary.plays_read
    job.plays_matched = summary.plays_matched
    job.plays_unmatched = summary.plays_unmatched
    job.events_stored = summary.events_stored
    job.events_already_imported = summary.events_already_imported
    job.rows_skipped = summary.rows_skipped


def _history_job_reports(job: HistoryImport, summary: HistoryImportSummary) -> None:
    job.skipped_rows = [{"where": problem.where, "reason": problem.reason} for problem in summary.skipped]
    job.unmatched_tracks = summary.unmatched_report()


def _history_job_finish(
    job: HistoryImport, summary: HistoryImportSummary, *, status: str, error: str = ""
) -> None:
    _history_job_counts(
        job, summary, bytes_read=job.bytes_total if status == JobStatus.SUCCEEDED else job.bytes_read
    )
    _history_job_reports(job, summary)
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    if job.file:
        job.file.delete(save=False)  # the events are what is kept
    job.save()


def history_imports_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the imports whose worker was lost (no heartbeat for ``stale_after``) and delete their
    uploads. Events of the batches already imported stay; importing the file again adds only the
    rest (event ids derive from the plays)."""

    def fail(job: HistoryImport) -> None:
        if job.file:
            job.file.delete(save=False)
        job.status = JobStatus.FAILED
        job.error = (
            f"{LOST_WORKER_MESSAGE} {job.events_stored:,} plays were imported before it stopped. Upload "
            "the file again to retry: plays already imported are not added twice."
        )
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "status", "error", "finished_at"])

    running = jobs_sweep_stale(
        kind=HISTORY_JOB,
        unfinished=HistoryImport.objects.filter(status=JobStatus.RUNNING),
        started_field="created_at",
        stale_after=stale_after,
        fail=fail,
    )
    # A queued import whose message was lost would keep the listener from importing at all.
    queued = jobs_sweep_stale(
        kind=HISTORY_JOB,
        unfinished=HistoryImport.objects.filter(status=JobStatus.QUEUED),
        started_field="created_at",
        stale_after=stale_after * HISTORY_QUEUED_STALE_FACTOR,
        fail=fail,
    )
    return running + queued


# Imports wait their turn on busy workers: a queued one is stale only after this many times longer.
HISTORY_QUEUED_STALE_FACTOR = 12
