"""The explained items of a composition: per track, which signals put it there, and how well it fits
the prompt's labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from playlists.compose_types import ComposedItem, EditorialRules, ListenerContext
from playlists.engine.candidates import CandidatePool
from playlists.engine.explain import ExplainContext, explain
from playlists.engine.intent import FeatureRange, Intent
from playlists.engine.scoring import DEFAULT_FIT_SCALE, FIT_SCALES, RangeSpec, range_fit


def explained_items(
    ordered: list[int],
    pool: CandidatePool,
    intent: Intent,
    listener: ListenerContext,
    rules: EditorialRules,
    scores: np.ndarray,
    components: Mapping[str, np.ndarray],
    pinned_rows: Mapping[int, int],
    taste_moved: np.ndarray,
) -> list[ComposedItem]:
    include = {tag.name: tag.confidence for tag in intent.include_tags}
    label_fits = _label_fits(pool, intent, ordered)
    items = []
    for position, row in enumerate(ordered):
        row_components = {name: round(float(values[row]), 4) for name, values in components.items()}
        context = ExplainContext(
            include_tags=include,
            mood_labels=label_fits[row],
            favourite_artists=listener.favourite_artist_names,
            seed_artists=intent.seed_artists,
            personalized=not listener.is_empty,
        )
        reasons = explain(
            context=context,
            tags=pool.tags[row],
            artist_names=pool.artist_names[row],
            components=row_components,
            heard=int(pool.track_ids[row]) in listener.heard_track_ids,
            curator_pick=row in pinned_rows
            or bool(rules.boosted_artist_ids.intersection(pool.artist_ids[row])),
            taste_moved=bool(taste_moved[row]),
        )
        items.append(
            ComposedItem(
                track_id=int(pool.track_ids[row]),
                position=position,
                score=round(float(scores[row]), 4),
                components=row_components,
                reasons=reasons,
            )
        )
    return items


def _label_fits(pool: CandidatePool, intent: Intent, rows: list[int]) -> dict[int, dict[str, float]]:
    """Per row: how well it fits each mood/activity word of the prompt (by that word's ranges)."""
    by_source: dict[str, list[tuple[str, FeatureRange]]] = {}
    for feature, spec in intent.feature_ranges.items():
        if not spec.hard and spec.source:
            by_source.setdefault(spec.source, []).append((feature, spec))
    fits: dict[int, dict[str, float]] = {row: {} for row in rows}
    for source, specs in by_source.items():
        values = np.ones(len(rows))
        for feature, spec in specs:
            scale = FIT_SCALES.get(feature, DEFAULT_FIT_SCALE)
            values = np.minimum(
                values, range_fit(pool.feature(feature)[rows], RangeSpec(spec.low, spec.high), scale)
            )
        for row, value in zip(rows, values, strict=True):
            fits[row][source] = float(value)
    return fits
