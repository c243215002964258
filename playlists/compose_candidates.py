"""Gathering the candidate pool of a composition: the prompt's hard constraints (relaxed to the
closest range when the catalog cannot fill them), then taste seeds for the listener.
"""

from __future__ import annotations

import numpy as np

from playlists.compose_types import EditorialRules, ListenerContext
from playlists.engine.candidates import CandidatePool
from playlists.engine.intent import Intent
from playlists.engine.taste import TasteProfile
from playlists.listener_taste import TASTE_ARTISTS, TASTE_TAG_MIN_SHARE, liked_tracks
from playlists.retrieval import (
    CandidateRequest,
    TasteSeeds,
    candidates_gather,
    constraints_build,
    constraints_relax,
    pool_load,
)


def candidates_for(
    intent: Intent,
    size: int,
    query_vector: np.ndarray,
    listener: ListenerContext,
    rules: EditorialRules,
    exclude_track_ids: frozenset[int],
    profile: TasteProfile,
) -> tuple[CandidatePool, np.ndarray]:
    """The candidate pool under the hard constraints (relaxed where the catalog falls short,
    noted on the intent), and which rows editorial rules block."""
    excluded = set(exclude_track_ids) | set(rules.blocked_track_ids)
    if intent.familiarity == "new_only":
        excluded |= set(listener.heard_track_ids)
    constraints = constraints_build(
        intent, exclude_track_ids=excluded, blocked_artist_ids=rules.blocked_artist_ids
    )
    for relaxation in constraints_relax(constraints, size):
        _apply_relaxation(intent, relaxation.column, relaxation.used)
        intent.relaxed.append(relaxation.note())
    merged = candidates_gather(
        CandidateRequest(
            intent=intent,
            constraints=constraints,
            size=size,
            query_vector=query_vector,
            taste=_taste_seeds(listener, profile),
            pinned_track_ids=[pin.track_id for pin in rules.pinned],
        )
    )
    pool = pool_load(merged)
    blocked = np.array(
        [
            int(track_id) in rules.blocked_track_ids or bool(rules.blocked_artist_ids.intersection(artists))
            for track_id, artists in zip(pool.track_ids, pool.artist_ids, strict=True)
        ],
        dtype=bool,
    )
    return pool, blocked


def _apply_relaxation(intent: Intent, column: str, used: tuple[float | None, float | None] | None) -> None:
    """The intent records the range actually used (or loses a constraint nothing could meet)."""
    if column == "release_year":
        if used is None or intent.era is None:
            intent.era = None
        else:
            first, last = intent.era
            intent.era = (
                int(used[0] if used[0] is not None else first),
                int(used[1] if used[1] is not None else last),
            )
    elif used is None:
        intent.feature_ranges.pop(column, None)
    else:
        spec = intent.feature_ranges[column]
        spec.low = float(used[0]) if used[0] is not None else spec.low
        spec.high = float(used[1]) if used[1] is not None else spec.high


def _taste_seeds(listener: ListenerContext, profile: TasteProfile) -> TasteSeeds:
    liked = liked_tracks(listener)
    shares = profile.artist_shares
    top_artists = sorted(shares, key=lambda artist: -shares[artist])[:TASTE_ARTISTS]
    favourite_tags = [tag for tag, share in profile.tag_shares.items() if share >= TASTE_TAG_MIN_SHARE]
    return TasteSeeds(
        taste_vector=listener.taste_vector,
        top_artist_ids=top_artists,
        favourite_tags=favourite_tags,
        favourite_track_ids=sorted(liked, key=lambda track: -liked[track]),
    )
