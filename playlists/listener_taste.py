"""A listener's context from how much they played each catalog track, and the taste profile and
likes composing reads from it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from playlists.compose_types import ListenerContext
from playlists.engine.taste import TasteProfile, favourite_artists, taste_profile, taste_vector
from playlists.retrieval import pool_load

TASTE_TAG_MIN_SHARE = 0.3


TASTE_ARTISTS = 30


FAVOURITE_ARTISTS = 5


def listener_context_build(*, track_weights: Mapping[int, float]) -> ListenerContext:
    """A ListenerContext from how much a listener played each catalog track (see ``play_weight``).

    The caller decides whether personalization is allowed; pass nothing when it is not.
    """
    weights = {track_id: weight for track_id, weight in track_weights.items() if weight > 0}
    if not weights:
        return ListenerContext(heard_track_ids=frozenset(track_weights))
    pool = pool_load({track_id: {"history"} for track_id in weights})
    played = np.array([weights[int(track_id)] for track_id in pool.track_ids])
    return ListenerContext(
        taste_vector=taste_vector(pool.embeddings, played),
        heard_track_ids=frozenset(track_weights),
        track_affinity=dict(weights),
        favourite_artist_names=favourite_artists(
            (
                (name, weight)
                for names, weight in zip(pool.artist_names, played, strict=True)
                for name in names[:1]
            ),
            top=FAVOURITE_ARTISTS,
        ),
    )


def listener_profile(listener: ListenerContext) -> TasteProfile:
    liked = liked_tracks(listener)
    if not liked:
        return TasteProfile()
    played = pool_load({track_id: {"history"} for track_id in liked})
    return taste_profile(
        track_tags=played.tags,
        track_artists=played.artist_ids,
        years=played.feature("release_year"),
        popularity=played.feature("popularity"),
        weights=np.array([liked[int(track_id)] for track_id in played.track_ids]),
    )


def liked_tracks(listener: ListenerContext) -> dict[int, float]:
    """The heard tracks the listener likes: the taste profile and "my favourites" come from
    these alone (``track_affinity`` also carries skips and dislikes, negative, and CF tracks
    they never heard)."""
    return {
        track_id: weight
        for track_id, weight in listener.track_affinity.items()
        if weight > 0 and (not listener.heard_track_ids or track_id in listener.heard_track_ids)
    }
