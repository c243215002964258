"""Every write of the feedback loop outside ingestion and history imports: affinities, taste
exclusions, CF factors, and the privacy hooks (erasure, retention, withdrawn listening history)."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.consent import consent_allows, users_consenting
from accounts.models import ConsentPurpose, User
from catalog.models import Artist, Track
from config.errors import ApplicationError
from feedback.ingestion import AffinityDelta, exclusion_windows
from feedback.learning import bandit, cf, event_weights
from feedback.learning.quality import ModelMetrics
from feedback.models import (
    CFModelRun,
    EventKind,
    ExclusionKind,
    HistoryImport,
    ItemFactor,
    ListeningEvent,
    PolicyStat,
    TasteExclusion,
    TrackAffinity,
    UserFactor,
)
from feedback.promotion import promotion_gate_decide
from feedback.queueing import user_vector_refresh_queue

# --- affinities and taste exclusions ---------------------------------------------------------------


@transaction.atomic
def affinity_rebuild(*, user: User) -> int:
    """Recompute the listener's affinities from their raw events (after a window exclusion)."""
    delta = AffinityDelta(windows=exclusion_windows(user))
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
def dislike_undo(*, user: User, track_id: int) -> int:
    """Take back the listener's dislikes of a track, reversing everything they did: the bandit
    failures they charged to the policies that built their versions are given back, the events
    go, and the track's affinity is recomputed from the events left (so it is no longer
    "disliked" and may be suggested again); the listener's CF vector follows. Returns how many
    dislikes were undone."""
    dislikes = list(
        ListeningEvent.objects.select_for_update(of=("self",))
        .filter(user=user, track_id=track_id, kind=EventKind.DISLIKE)
        .order_by("pk")
        .values_list("pk", "version__policy")
    )
    if not dislikes:
        raise ApplicationError("There is no dislike of this track to undo.")
    _policy_failures_give_back(user=user, policies=[policy for _, policy in dislikes if policy])
    ListeningEvent.objects.filter(pk__in=[pk for pk, _ in dislikes]).delete()
    _track_affinity_recompute(user=user, track_id=track_id)
    user_vector_refresh_queue(user_id=user.pk)
    return len(dislikes)


def _policy_failures_give_back(*, user: User, policies: list[str]) -> None:
    """Undo what ingestion's bandit update added for these dislikes (the listener's counts and
    the global ones), never below zero; in policy order, as ingestion locks them."""
    failures_each = bandit.reward_counts(EventKind.DISLIKE)[1]
    charged: dict[str, float] = defaultdict(float)
    for policy in policies:
        charged[policy] += failures_each
    for policy in sorted(charged):
        for owner in (user, None):
            PolicyStat.objects.filter(user=owner, policy=policy).update(
                failures=Greatest(F("failures") - charged[policy], Value(0.0))
            )


def _track_affinity_recompute(*, user: User, track_id: int) -> None:
    """The listener's affinity for one track, from the events of it they still have."""
    delta = AffinityDelta(windows=exclusion_windows(user))
    for kind, weight, occurred_at in ListeningEvent.objects.filter(user=user, track_id=track_id).values_list(
        "kind", "weight", "occurred_at"
    ):
        delta.add(track_id, kind, weight, occurred_at)
    if not delta.counts:
        TrackAffinity.objects.filter(user=user, track_id=track_id).delete()
        return
    TrackAffinity.objects.update_or_create(
        user=user,
        track_id=track_id,
        defaults={
            "mass": delta.masses[track_id],
            "events": delta.counts[track_id],
            "last_event_at": delta.last[track_id],
            "disliked": delta.verdicts.get(track_id, (delta.last[track_id], False))[1],
        },
    )


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
    model has seen them), it must not do worse (``feedback.promotion``: the experiments app
    registers the decision-maker that records every decision for the monitoring panel).
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
        if promotion is False:
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
) -> bool | None:
    """Both models on the new affinities of listeners the current model knew: whether the
    candidate may replace the current model; None: too little to judge by (fewer such listeners
    than MODEL_PROMOTION_MIN_USERS)."""
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
    return promotion_gate_decide(
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
