"""Reads of the feedback loop, always for one listener."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from accounts.pseudonyms import pseudonym_for
from catalog.models import Track, TrackArtist, TrackTag
from catalog.radio import RadioExclusions
from feedback.learning import bandit, event_weights
from feedback.learning.offpolicy import LoggedDecision
from feedback.models import (
    ExclusionKind,
    HistoryImport,
    ItemFactor,
    ListeningEvent,
    PolicyStat,
    TasteExclusion,
    TrackAffinity,
    UserFactor,
)

PROFILE_TRACKS = 200  # strongest positive affinities averaged into the content vector
HEARD_LIMIT = 5000
CF_NEIGHBOURS = 100
PROFILE_FEATURES = ("energy", "valence", "danceability", "acousticness", "instrumentalness", "speechiness")


@dataclass(frozen=True)
class LearnedTaste:
    """What the events taught, with the listener's exclusions applied (for generation)."""

    affinity: dict[int, float]  # track id -> decayed affinity (negative: skipped / disliked)
    disliked: frozenset[int]
    heard: frozenset[int]
    taste_vector: np.ndarray | None
    cf_scores: dict[int, float] = field(default_factory=dict)  # nearest tracks by CF, 0..1


def _excluded(user: User) -> tuple[set[int], set[int]]:
    tracks: set[int] = set()
    artists: set[int] = set()
    for kind, track_id, artist_id in TasteExclusion.objects.filter(user=user).values_list(
        "kind", "track_id", "artist_id"
    ):
        if kind == ExclusionKind.TRACK and track_id:
            tracks.add(track_id)
        elif kind == ExclusionKind.ARTIST and artist_id:
            artists.add(artist_id)
    if artists:
        tracks |= set(TrackArtist.objects.filter(artist_id__in=artists).values_list("track_id", flat=True))
    return tracks, artists


@dataclass(frozen=True)
class _Affinities:
    affinity: dict[int, float]  # decayed, without the excluded tracks
    disliked: frozenset[int]
    excluded_tracks: set[int]


def _affinities(user: User, now: datetime | None) -> _Affinities | None:
    rows = list(TrackAffinity.objects.filter(user=user).values_list("track_id", "mass", "disliked"))
    if not rows:
        return None
    decay = event_weights.decay_factor(now or timezone.now())
    excluded_tracks, _ = _excluded(user)
    return _Affinities(
        affinity={track: mass * decay for track, mass, _ in rows if track not in excluded_tracks},
        disliked=frozenset(track for track, _, is_disliked in rows if is_disliked),
        excluded_tracks=excluded_tracks,
    )


def learned_taste(*, user: User, now: datetime | None = None) -> LearnedTaste | None:
    """The listener's decayed affinities, dislikes, heard tracks, content vector and CF neighbours."""
    learned = _affinities(user, now)
    if learned is None:
        return None
    affinity, disliked = learned.affinity, learned.disliked
    heard = frozenset(
        ListeningEvent.objects.filter(user=user)
        .exclude(kind__in=["like", "dislike", "save", "remove"])
        .order_by()
        .values_list("track_id", flat=True)
        .distinct()[:HEARD_LIMIT]
    )
    return LearnedTaste(
        affinity=affinity,
        disliked=disliked,
        heard=heard,
        taste_vector=_content_vector(affinity),
        cf_scores=_cf_neighbours(user, exclude=set(affinity) | learned.excluded_tracks | disliked),
    )


def _content_vector(affinity: dict[int, float]) -> np.ndarray | None:
    positive = sorted(
        (track for track, value in affinity.items() if value > 0), key=lambda track: -affinity[track]
    )
    positive = positive[:PROFILE_TRACKS]
    if not positive:
        return None
    rows = list(Track.objects.filter(pk__in=positive, embedding__isnull=False).values_list("pk", "embedding"))
    if not rows:
        return None
    weights = np.array([affinity[pk] for pk, _ in rows], dtype=np.float32)
    vectors = np.asarray([vector for _, vector in rows], dtype=np.float32)
    mean = (weights[:, None] * vectors).sum(axis=0) / weights.sum()
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def _cf_neighbours(user: User, *, exclude: set[int]) -> dict[int, float]:
    """The tracks whose ALS item vectors score highest for the listener (pgvector inner product)."""
    factor = UserFactor.objects.filter(user=user).values_list("vector", flat=True).first()
    if factor is None:
        return {}
    from pgvector.django import MaxInnerProduct

    wanted = CF_NEIGHBOURS + len(exclude)
    with transaction.atomic(), connection.cursor() as cursor:
        # HNSW returns at most ef_search rows per scan; ask for enough, and let the iterative
        # scan go on past the tracks the listener already has (the order is re-sorted below).
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(max(40, min(wanted, 1000)))])
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        # Bounded like every filtered catalog search (VECTOR_SEARCH_MAX_SCAN_TUPLES).
        cursor.execute(
            "SELECT set_config('hnsw.max_scan_tuples', %s, true)",
            [str(settings.VECTOR_SEARCH_MAX_SCAN_TUPLES)],
        )
        rows = list(
            ItemFactor.objects.annotate(distance=MaxInnerProduct("vector", factor))
            .order_by("distance")
            .values_list("track_id", "distance")[:wanted]
        )
    scores = {track: -distance for track, distance in rows if track not in exclude}
    top = sorted(scores, key=lambda track: -scores[track])[:CF_NEIGHBOURS]
    best = max((scores[track] for track in top), default=0.0)
    return {track: max(scores[track], 0.0) / best for track in top} if best > 0 else {}


def policy_counts(*, user: User | None) -> dict[str, tuple[float, float]]:
    """Bandit counts per policy: the listener's (user given) or the global ones (None)."""
    rows = (
        PolicyStat.objects.filter(user=user)
        if user is not None
        else PolicyStat.objects.filter(user__isnull=True)
    )
    return {
        policy: (successes, failures)
        for policy, successes, failures in rows.values_list("policy", "successes", "failures")
    }


@dataclass
class TasteProfile:
    has_data: bool
    events: int
    top_artists: list[dict[str, Any]]
    top_tags: list[dict[str, Any]]
    features: list[dict[str, Any]]
    top_tracks: list[dict[str, Any]]
    exclusions: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "has_data": self.has_data,
            "events": self.events,
            "top_artists": self.top_artists,
            "top_tags": self.top_tags,
            "features": self.features,
            "top_tracks": self.top_tracks,
            "exclusions": self.exclusions,
        }


def _bars(scores: dict[Any, float], names: dict[Any, str], limit: int) -> list[dict[str, Any]]:
    top = sorted((key for key in scores if scores[key] > 0), key=lambda key: -scores[key])[:limit]
    best = scores[top[0]] if top else 1.0
    return [
        {
            "id": key,
            "name": names.get(key, str(key)),
            "score": round(scores[key], 3),
            "percent": round(100 * scores[key] / best),
        }
        for key in top
    ]


def taste_profile(*, user: User, limit: int = 10) -> TasteProfile:
    """ "Your taste": top artists, tags and tracks by affinity, the audio profile, the exclusions.

    Reads the affinities alone: the heard tracks, content vector and CF neighbours that
    generation uses are not shown here.
    """
    affinities = _affinities(user, None)
    exclusions = [
        {
            "id": exclusion.pk,
            "kind": exclusion.kind,
            "label": _exclusion_label(exclusion),
        }
        for exclusion in TasteExclusion.objects.filter(user=user)
        .select_related("track", "artist")
        .only("kind", "starts_at", "ends_at", "track__title", "artist__name")  # not the track's vectors
    ]
    events = ListeningEvent.objects.filter(user=user).count()
    if affinities is None or not any(value > 0 for value in affinities.affinity.values()):
        return TasteProfile(False, events, [], [], [], [], exclusions)
    positive = {track: value for track, value in affinities.affinity.items() if value > 0}
    artist_scores: dict[int, float] = defaultdict(float)
    artist_names: dict[int, str] = {}
    for track, artist, name in TrackArtist.objects.filter(track_id__in=positive).values_list(
        "track_id", "artist_id", "artist__name"
    ):
        artist_scores[artist] += positive[track]
        artist_names[artist] = name
    tag_scores: dict[str, float] = defaultdict(float)
    for track, tag in TrackTag.objects.filter(track_id__in=positive).values_list("track_id", "tag__name"):
        tag_scores[tag] += positive[track]
    tracks: dict[int, str] = {}
    totals = np.zeros(len(PROFILE_FEATURES))
    weight_sums = np.zeros(len(PROFILE_FEATURES))
    for pk, title, *feature_values in Track.objects.filter(pk__in=positive).values_list(
        "pk", "title", *PROFILE_FEATURES
    ):
        tracks[pk] = title
        for index, value in enumerate(feature_values):
            if value is not None:
                totals[index] += positive[pk] * value
                weight_sums[index] += positive[pk]
    features = [
        {
            "name": name,
            "value": round(float(totals[i] / weight_sums[i]), 3),
            "percent": round(100 * float(totals[i] / weight_sums[i])),
        }
        for i, name in enumerate(PROFILE_FEATURES)
        if weight_sums[i] > 0
    ]
    return TasteProfile(
        True,
        events,
        _bars(artist_scores, artist_names, limit),
        _bars(tag_scores, {tag: tag for tag in tag_scores}, limit),
        features,
        _bars(positive, tracks, limit),
        exclusions,
    )


def _exclusion_label(exclusion: TasteExclusion) -> str:
    if exclusion.kind == ExclusionKind.TRACK and exclusion.track is not None:
        return f"Track: {exclusion.track.title}"
    if exclusion.kind == ExclusionKind.ARTIST and exclusion.artist is not None:
        return f"Artist: {exclusion.artist.name}"
    return f"Listening from {exclusion.starts_at:%Y-%m-%d %H:%M} to {exclusion.ends_at:%Y-%m-%d %H:%M}"


def refresh_left_out(*, user: User, playlist_id: int) -> frozenset[int]:
    """Tracks skipped early or removed in this playlist's earlier versions."""
    return frozenset(
        ListeningEvent.objects.filter(user=user, version__playlist_id=playlist_id)
        .filter(Q(kind="remove") | Q(kind="skip", weight__lte=event_weights.WEIGHTS["early_skip"]))
        .values_list("track_id", flat=True)
    )


def taste_exclusion_get(*, user: User, exclusion_id: int) -> TasteExclusion:
    """One of the listener's exclusions; another listener's (or none) is a 404."""
    exclusion = TasteExclusion.objects.filter(user=user, pk=exclusion_id).select_related("user").first()
    if exclusion is None:
        raise Http404("No such exclusion among yours.")
    return exclusion


def disliked_tracks(*, user: User) -> frozenset[int]:
    return frozenset(
        TrackAffinity.objects.filter(user=user, disliked=True).values_list("track_id", flat=True)
    )


def taste_profile_export(*, user: User) -> dict[str, Any]:
    """The taste profile in the listener's data export (registered with accounts.privacy)."""
    return taste_profile(user=user).to_dict()


def radio_exclusions(*, user: User) -> RadioExclusions:
    """What a "more like this" radio keeps out for the listener: disliked tracks, and the tracks
    and artists left out of their taste (registered with catalog.radio)."""
    tracks = set(disliked_tracks(user=user))
    artists: set[int] = set()
    for kind, track_id, artist_id in TasteExclusion.objects.filter(
        user=user, kind__in=[ExclusionKind.TRACK, ExclusionKind.ARTIST]
    ).values_list("kind", "track_id", "artist_id"):
        if kind == ExclusionKind.TRACK and track_id:
            tracks.add(track_id)
        elif kind == ExclusionKind.ARTIST and artist_id:
            artists.add(artist_id)
    return RadioExclusions(track_ids=frozenset(tracks), artist_ids=frozenset(artists))


def policy_choose(*, user: User, personalized: bool, rng: np.random.Generator | None = None) -> Any:
    """Which weight preset builds the listener's next version, and with what probability.

    With the experiments consent: Thompson sampling over the listener's counts (when
    personalization is allowed) on the global prior; the propensity is logged on the version.
    Without it nobody is randomized: the globally best policy (posterior mean), propensity 1.
    """
    global_counts = {name: bandit.ArmCounts(*pair) for name, pair in policy_counts(user=None).items()}
    if not consent_allows(user, ConsentPurpose.EXPERIMENTS):
        return bandit.Choice(policy=bandit.greedy(counts=global_counts), propensity=1.0)
    user_counts = (
        {name: bandit.ArmCounts(*pair) for name, pair in policy_counts(user=user).items()}
        if personalized
        else {}
    )
    return bandit.choose(
        global_counts=global_counts, user_counts=user_counts, rng=rng or np.random.default_rng()
    )


def logged_decisions() -> list[LoggedDecision]:
    """Every version built by a logged policy choice, with the reward its feedback earned.

    For off-policy evaluation (an operator's aggregate, under pseudonyms): the reward of a
    version is successes / (successes + failures) over its events, weighted as the bandit's.
    Versions without any rewarding event are left out. The version's policy, propensity and
    owner are read through the events' own foreign key (feedback sits below playlists).
    """
    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    logged: dict[int, tuple[str, float | None, int]] = {}
    for (
        version_id,
        policy,
        propensity,
        owner_id,
        kind,
        position_ms,
        duration_ms,
        ms_played,
    ) in ListeningEvent.objects.filter(version__isnull=False, version__propensity__isnull=False).values_list(
        "version_id",
        "version__policy",
        "version__propensity",
        "version__playlist__owner_id",
        "kind",
        "position_ms",
        "track__duration_ms",
        "ms_played",
    ):
        successes, failures = bandit.reward_counts(
            event_weights.reward_kind(kind, position_ms, duration_ms, ms_played)
        )
        totals[version_id][0] += successes
        totals[version_id][1] += failures
        logged[version_id] = (policy, propensity, owner_id)
    decisions = []
    for version_id in sorted(totals):
        successes, failures = totals[version_id]
        if successes + failures <= 0:
            continue
        policy, propensity, owner_id = logged[version_id]
        decisions.append(
            LoggedDecision(
                context=pseudonym_for(owner_id),
                action=policy,
                propensity=float(propensity or 1.0),
                reward=successes / (successes + failures),
            )
        )
    return decisions


def history_import_list(*, user: User, limit: int = 20) -> list[HistoryImport]:
    return list(HistoryImport.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def history_import_get(*, user: User, import_id: int) -> HistoryImport:
    """One of the listener's history imports; another listener's is a 404."""
    return get_object_or_404(HistoryImport.objects.filter(user=user), pk=import_id)


def track_reactions(*, user: User, track_ids: list[int]) -> dict[int, str]:
    """The listener's latest like or dislike of each of ``track_ids`` ("like" / "dislike")."""
    latest: dict[int, str] = {}
    reactions = (
        ListeningEvent.objects.filter(user=user, track_id__in=track_ids, kind__in=("like", "dislike"))
        .order_by("track_id", "-occurred_at", "-id")
        .distinct("track_id")
        .values_list("track_id", "kind")
    )
    for track_id, kind in reactions:
        latest[track_id] = kind
    return latest
