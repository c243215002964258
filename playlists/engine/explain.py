"""Per-track reasons naming the signals that placed a track in the playlist (no Django)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

SEMANTIC_REASON_MIN = 0.45


@dataclass(frozen=True)
class ExplainContext:
    include_tags: Mapping[str, float]
    mood_labels: Mapping[str, float]  # label -> fit of this track to that label's ranges (0..1)
    favourite_artists: Collection[str] = ()
    seed_artists: Collection[str] = ()
    personalized: bool = False


def explain(
    *,
    context: ExplainContext,
    tags: Collection[str],
    artist_names: Sequence[str],
    components: Mapping[str, float],
    heard: bool,
    curator_pick: bool,
    taste_moved: bool = False,
) -> list[str]:
    """``taste_moved``: taste lifted this track a visible amount (``scoring.TASTE_MOVE_MIN_PLACES``)."""
    reasons = []
    matched_tags = sorted(
        (tag for tag in tags if tag in context.include_tags), key=lambda t: -context.include_tags[t]
    )
    matched = [*matched_tags[:2], *(label for label, fit in context.mood_labels.items() if fit >= 0.99)]
    if matched:
        reasons.append("matches: " + ", ".join(matched))
    lower_names = {name.lower(): name for name in artist_names}
    favourites = [
        lower_names[name.lower()] for name in context.favourite_artists if name.lower() in lower_names
    ]
    if favourites:
        reasons.append(f"because you play {favourites[0]}")
    seeds = [name for name in context.seed_artists if name.lower() in lower_names]
    if seeds:
        reasons.append(f"by {lower_names[seeds[0].lower()]}, as asked")
    elif (
        any(seed.lower() not in lower_names for seed in context.seed_artists)
        and components.get("semantic", 0) > 0.5
    ):
        reasons.append(f"sounds like {', '.join(context.seed_artists)}")
    if curator_pick:
        reasons.append("curator pick")
    if context.personalized and taste_moved:
        reasons.append("close to your taste")
    if context.personalized and not heard:
        reasons.append("new to you")
    if not reasons or (not matched and components.get("semantic", 0.0) >= SEMANTIC_REASON_MIN):
        reasons.append("close to your words")
    return reasons
