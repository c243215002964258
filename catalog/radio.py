""" "More like this": a radio started from one track, by its sound vector and text embedding.

Reads over the shared catalog, so any signed-in listener may start one from any track. What the
listener ruled out (disliked tracks, tracks and artists left out of their taste) is kept out;
those records live in apps above the catalog, which say what they are through
``register_exclusion_provider`` (called from their ``AppConfig.ready()``).

Candidates are the nearest tracks by sound (when the seed has a sound vector) and by text
embedding; both similarities are then computed exactly for every candidate and blended, and
``catalog.radio_ranking`` orders them: tracks with audio first, at most two per artist.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, Value
from django.db.models.fields import FloatField
from django.shortcuts import get_object_or_404
from pgvector.django import CosineDistance

from accounts.models import User
from catalog.models import MediaFile, Track, TrackArtist
from catalog.radio_ranking import RadioCandidate, radio_order
from catalog.search import SearchFilters, track_vector_search

RADIO_SIZE_DEFAULT = 30
RADIO_SIZE_MAX = 100
# Nearest neighbours fetched per radio slot from each vector: room for the artist cap and the
# listener's exclusions to take some out and still fill the radio.
CANDIDATES_PER_SLOT = 5
CANDIDATES_MIN = 100


@dataclass(frozen=True)
class RadioExclusions:
    """Tracks a listener's radio must not play: these tracks, and every track of these artists."""

    track_ids: frozenset[int] = frozenset()
    artist_ids: frozenset[int] = frozenset()

    def __or__(self, other: RadioExclusions) -> RadioExclusions:
        return RadioExclusions(self.track_ids | other.track_ids, self.artist_ids | other.artist_ids)


ExclusionProvider = Callable[..., RadioExclusions]
_exclusion_providers: list[ExclusionProvider] = []


def register_exclusion_provider(provider: ExclusionProvider) -> None:
    """``provider(*, user) -> RadioExclusions``; every registered provider's answer is kept out."""
    if provider not in _exclusion_providers:
        _exclusion_providers.append(provider)


def listener_exclusions(*, user: User) -> RadioExclusions:
    exclusions = RadioExclusions()
    for provider in _exclusion_providers:
        exclusions = exclusions | provider(user=user)
    return exclusions


@dataclass(frozen=True)
class RadioEntry:
    """One radio track; ``track`` has its ``track_artists`` (with artists) prefetched."""

    track: Track
    position: int
    similarity: float
    sound_similarity: float | None
    text_similarity: float | None
    has_audio: bool
    has_cover: bool

    @property
    def artist_names(self) -> list[str]:
        return [credit.artist.name for credit in self.track.track_artists.all()]

    @property
    def duration_seconds(self) -> float | None:
        return None if self.track.duration_ms is None else self.track.duration_ms / 1000


def track_radio(*, user: User, track_id: int, size: int = RADIO_SIZE_DEFAULT) -> list[RadioEntry]:
    """Up to ``size`` tracks like ``track_id`` (never itself), for ``user``; a 404 for no such track.

    Left out: the listener's exclusions, and tracks whose media files were all removed from the
    library (a track that never had a file stays, after those with audio). Empty while the seed
    has neither a sound vector nor a text embedding.
    """
    size = max(1, min(size, RADIO_SIZE_MAX))
    seed = get_object_or_404(Track.objects.only("pk", "sound_vector", "embedding"), pk=track_id)
    sound = _vector(seed.sound_vector)
    text = _vector(seed.embedding)
    if sound is None and text is None:
        return []
    exclusions = listener_exclusions(user=user)
    excluded_ids = exclusions.track_ids | {seed.pk}
    k = max(CANDIDATES_MIN, CANDIDATES_PER_SLOT * size)
    candidate_ids: set[int] = set()
    if sound is not None:
        candidate_ids |= _nearest_by_sound(sound, k)
    if text is not None:
        filters = SearchFilters(
            exclude_ids=sorted(excluded_ids), exclude_artist_ids=sorted(exclusions.artist_ids)
        )
        candidate_ids |= {
            hit.track_id for hit in track_vector_search(query_vector=text, k=k, filters=filters)
        }
    tracks = _candidate_tracks(candidate_ids - excluded_ids, exclusions.artist_ids, sound=sound, text=text)
    ordered = radio_order((_as_candidate(track) for track in tracks.values()), size=size)
    return [
        RadioEntry(
            track=tracks[candidate.track_id],
            position=position,
            similarity=candidate.similarity() or 0.0,
            sound_similarity=candidate.sound_similarity,
            text_similarity=candidate.text_similarity,
            has_audio=candidate.has_audio,
            has_cover=tracks[candidate.track_id].has_cover,  # type: ignore[attr-defined]
        )
        for position, candidate in enumerate(ordered, start=1)
    ]


def _vector(value: object) -> np.ndarray | None:
    if value is None:
        return None
    vector = np.asarray(value, dtype=np.float32)
    return vector if np.any(vector) else None  # a zero vector has no direction to compare


def _nearest_by_sound(vector: np.ndarray, k: int) -> set[int]:
    """The ``k`` tracks nearest by sound (HNSW index; the seed and exclusions are dropped later)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            # ef_search bounds how many rows an HNSW scan can return (pgvector allows up to 1000).
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true)",
                [str(min(1000, max(k, settings.VECTOR_SEARCH_EF_SEARCH)))],
            )
        rows = (
            Track.objects.filter(sound_vector__isnull=False)
            .order_by(CosineDistance("sound_vector", vector))
            .values_list("pk", flat=True)[:k]
        )
        return set(rows)


def _candidate_tracks(
    track_ids: Iterable[int],
    excluded_artist_ids: frozenset[int],
    *,
    sound: np.ndarray | None,
    text: np.ndarray | None,
) -> dict[int, Track]:
    """The candidates that may play, each with exact similarities and whether it has audio."""
    present = MediaFile.objects.filter(track=OuterRef("pk"), removed_at__isnull=True)
    nothing = Value(None, output_field=FloatField())
    queryset = Track.objects.filter(pk__in=list(track_ids))
    if excluded_artist_ids:
        queryset = queryset.exclude(
            Exists(TrackArtist.objects.filter(track=OuterRef("pk"), artist_id__in=list(excluded_artist_ids)))
        )
    queryset = (
        queryset.annotate(
            has_files=Exists(MediaFile.objects.filter(track=OuterRef("pk"))),
            has_audio=Exists(present),
            has_cover=Exists(present.filter(cover__isnull=False)),
            sound_distance=nothing if sound is None else CosineDistance("sound_vector", sound),
            text_distance=nothing if text is None else CosineDistance("embedding", text),
        )
        # A track whose files were all removed from the library cannot be played any more.
        .filter(Q(has_files=False) | Q(has_audio=True))
        .defer("embedding", "sound_vector", "document")
        .prefetch_related(
            Prefetch(
                "track_artists", queryset=TrackArtist.objects.select_related("artist").order_by("position")
            )
        )
    )
    return {track.pk: track for track in queryset}


def _similarity(distance: float | None) -> float | None:
    if distance is None or math.isnan(distance):
        return None
    return 1.0 - float(distance)


def _as_candidate(track: Track) -> RadioCandidate:
    return RadioCandidate(
        track_id=track.pk,
        artist_ids=tuple(credit.artist_id for credit in track.track_artists.all()),
        sound_similarity=_similarity(track.sound_distance),  # type: ignore[attr-defined]
        text_similarity=_similarity(track.text_distance),  # type: ignore[attr-defined]
        has_audio=track.has_audio,  # type: ignore[attr-defined]
    )
