"""From a prompt (or an edited Intent) to a scored, re-ranked, sequenced and explained track list.

This module orchestrates: ``playlists.retrieval`` does the database work (vocabulary, hard
constraints as filters, candidates, pool loading) and the pure modules in ``playlists.engine``
score, re-rank, sequence and explain on plain arrays. Its parts: the types it takes and gives
(``playlists.compose_types``), a listener's taste (``playlists.listener_taste``), the candidate
pool (``playlists.compose_candidates``) and the explained items (``playlists.compose_explain``);
callers import them from here.

What the prompt decides and what taste may do:
- The prompt decides what fits. Hard constraints (exclusions, explicit tempo / era / length /
  track-length bounds, "no vocals") are filters no track escapes; when the catalog cannot fill
  one, it is widened to the closest range and ``Composition.relaxed`` says which and by how much.
- Taste (the taste vector, collaborative filtering, the discovery bonus, the bandit's weights)
  only orders: candidates come from the prompt's tags, ranges and words, and taste chooses among
  the tracks that fit the prompt as well as its own best picks (``scoring.prompt_fit_mask``).
  "Close to your taste" is said only of a track taste moved up ``TASTE_MOVE_MIN_PLACES`` places
  or more.
- A requested total length is met within ``DURATION_TOLERANCE`` (±10 %), or the playlist says
  how close it came.
- A prompt of which nothing was understood gets suggestions, never random tracks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from playlists.compose_candidates import candidates_for
from playlists.compose_explain import explained_items
from playlists.compose_types import (
    LONG_TAIL_POPULARITY,
    STAGES,
    ComposedItem,
    Composition,
    EditorialRules,
    ListenerContext,
    Pin,
)
from playlists.engine.artist_styles import artist_style
from playlists.engine.candidates import CandidatePool
from playlists.engine.intent import (
    DEFAULT_SIZE,
    MAX_SIZE,
    FeatureRange,
    Intent,
    PromptError,
    TagChoice,
    size_for_duration,
    validate_size,
)
from playlists.engine.parse import parse_prompt
from playlists.engine.rerank import RerankResult, RerankRules, artist_cap, rerank
from playlists.engine.scoring import (
    TASTE_MOVE_MIN_PLACES,
    RangeSpec,
    Weights,
    places_moved,
    prompt_fit_mask,
    prompt_scores,
    score_candidates,
)
from playlists.engine.sequencing import (
    DURATION_TOLERANCE,
    arc_select,
    arc_targets,
    duration_met,
    fill_duration,
    fill_total_ms,
    sequence,
)
from playlists.engine.taste import TasteProfile, profile_affinity
from playlists.engine.vocabulary import CatalogVocabulary
from playlists.listener_taste import listener_context_build, listener_profile
from playlists.retrieval import vocabulary_load

__all__ = [
    "STAGES",
    "Composition",
    "ComposedItem",
    "EditorialRules",
    "ListenerContext",
    "NothingUnderstood",
    "Pin",
    "PromptError",
    "Weights",
    "playlist_compose",
    "listener_context_build",
    "vocabulary_load",
]


# --- composing ----------------------------------------------------------------------------------


class _Stages:
    def __init__(self, on_stage: Callable[[str], None] | None) -> None:
        self.seconds: dict[str, float] = {}
        self.on_stage = on_stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.on_stage is not None:
            self.on_stage(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 6)


class NothingUnderstood(PromptError):
    """Not one word of the prompt was understood: the reply is suggestions, not tracks."""


SUGGESTIONS = (
    "relaxing evening jazz",
    "90s hip hop, no gangsta rap",
    "an hour of focus music without vocals",
)
# "No vocals" is hard: instrumentalness at least this (Spotify's reading: above 0.5 a track is
# probably instrumental) and speechiness at most this (below 0.33: music, not speech or rap).
INSTRUMENTAL_FLOOR = 0.5
SPEECHINESS_CEILING = 0.33
NO_VOCALS_SOURCE = "instrumental"  # the lexicon label of "no vocals", "without lyrics", …
ARTIST_STYLE_CONFIDENCE = 0.7


def nothing_understood_message(words: Sequence[str]) -> str:
    said = f"Segue did not understand: {', '.join(words)}." if words else "Segue did not understand it."
    examples = ", ".join(f"“{example}”" for example in SUGGESTIONS)
    return f"{said} Try a genre, a mood, an activity or an era, e.g. {examples}."


def playlist_compose(
    *,
    prompt: str | None = None,
    intent: Intent | None = None,
    size: int | None = None,
    duration_seconds: int | None = None,
    listener: ListenerContext | None = None,
    rules: EditorialRules | None = None,
    weights: Weights | None = None,
    diversity: float | None = None,
    exclude_track_ids: frozenset[int] = frozenset(),
    on_stage: Callable[[str], None] | None = None,
) -> Composition:
    """Compose a playlist from ``prompt`` or an (edited) ``intent``; raises PromptError on bad input
    and NothingUnderstood when the prompt gave nothing to go on.

    ``size`` (a number of tracks) or ``duration_seconds`` (a total length) override the prompt's.
    ``diversity`` overrides the re-ranking's MMR strength (an experiment variant's setting)."""
    validate_size(size)
    listener = listener or ListenerContext()
    rules = rules or EditorialRules()
    weights = weights or Weights()
    stages = _Stages(on_stage)
    with stages.stage("parse"):
        vocabulary = vocabulary_load()
        intent = _compose_intent(prompt, intent, vocabulary)
        length = _Length.of(intent, size=size, duration_seconds=duration_seconds)
        query_vector = vocabulary.encode([intent.semantic_text or (prompt or "music")])[0]
    with stages.stage("candidates"):
        profile = listener_profile(listener)
        pool, blocked = candidates_for(
            intent, length.pool_size, query_vector, listener, rules, exclude_track_ids, profile
        )
    with stages.stage("score"):
        scores, components = _score(pool, intent, query_vector, listener, profile, rules, weights)
        by_prompt = prompt_scores(
            scores, components, weights, keep=("discovery",) if intent.familiarity == "favourites" else ()
        )
        pinned_rows = _pinned_rows(pool, rules)
        rerank_size = length.pool_size * ARC_CHOICE_FACTOR if intent.energy_arc else length.pool_size
        outside = np.zeros(len(pool), dtype=bool)
        if not listener.is_empty:
            # Without a listener the scores are the prompt's own: nothing for taste to order.
            outside = ~prompt_fit_mask(by_prompt, ~blocked, components, size=rerank_size)
            outside[list(pinned_rows)] = False
    with stages.stage("rerank"):
        chosen = _choose(
            pool, intent, scores, blocked | outside, rules, rerank_size, length, diversity=diversity
        )
    with stages.stage("sequence"):
        ordered = _sequenced(chosen, pool, scores, intent, length)
    with stages.stage("explain"):
        moved = places_moved(by_prompt, scores) >= TASTE_MOVE_MIN_PLACES
        items = explained_items(
            ordered, pool, intent, listener, rules, scores, components, chosen.pinned_rows, moved
        )
    return Composition(
        intent=intent,
        items=items,
        stage_seconds=stages.seconds,
        weights=weights.to_dict(),
        relaxed=list(intent.relaxed),
        propensity=None,
    )


def _compose_intent(prompt: str | None, intent: Intent | None, vocabulary: CatalogVocabulary) -> Intent:
    """The Intent to compose: parsed, or a fresh copy of the edited one; hard parts made hard."""
    if intent is None:
        if prompt is None:
            raise PromptError("Give a prompt or an intent.")
        intent = parse_prompt(prompt, vocabulary=vocabulary)
    else:
        intent = Intent.from_dict(intent.to_dict())
        intent.relaxed = []
    if getattr(intent, "nothing_understood", False):
        raise NothingUnderstood(nothing_understood_message(getattr(intent, "not_understood", [])))
    _harden_no_vocals(intent)
    _use_unknown_artists_style(intent, vocabulary)
    if prompt and not (intent.size or intent.duration_seconds):
        intent.duration_seconds = run_distance_seconds(prompt)
    return intent


# A run asked for by distance ("5K run", "10 km jog") lasts about this long per kilometre: a
# recreational pace (a 5K in about 30 minutes, inside the usual 25-35).
RUN_SECONDS_PER_KM = 360
_DISTANCE = re.compile(
    r"\b(\d+(?:\.\d+)?)\s*(?:k|km|kilometers?|kilometres?)\b|\b(half[- ]marathon|marathon)\b", re.IGNORECASE
)
_RUNNING = re.compile(r"\b(?:run|runs|running|jog|jogging|race|marathon)\b", re.IGNORECASE)
_RACE_KM = {"half marathon": 21.1, "half-marathon": 21.1, "marathon": 42.2}


def run_distance_seconds(prompt: str) -> int | None:
    """How long a run asked for by its distance lasts ("5K run" → 30 min), or None."""
    match = _DISTANCE.search(prompt)
    if match is None or not _RUNNING.search(prompt):
        return None
    kilometres = float(match[1]) if match[1] else _RACE_KM[match[2].lower()]
    if not 0 < kilometres <= 50:
        return None
    return round(kilometres * RUN_SECONDS_PER_KM)


def _harden_no_vocals(intent: Intent) -> None:
    """ "No vocals" is a hard constraint with a documented floor, not a mood to lean towards."""
    spec = intent.feature_ranges.get("instrumentalness")
    if spec is None or spec.source != NO_VOCALS_SOURCE:
        return
    spec.low, spec.high, spec.hard = max(spec.low, INSTRUMENTAL_FLOOR), max(spec.high, 1.0), True
    speech = intent.feature_ranges.get("speechiness")
    ceiling = SPEECHINESS_CEILING
    if speech is not None and speech.hard:
        ceiling = min(speech.high, SPEECHINESS_CEILING)
    intent.feature_ranges["speechiness"] = FeatureRange(0.0, ceiling, hard=True, source=NO_VOCALS_SOURCE)


def _use_unknown_artists_style(intent: Intent, vocabulary: CatalogVocabulary) -> None:
    """An artist not in the catalog: its style's tags (where known and in the catalog), and a note."""
    known_tags = set(vocabulary.tag_names)
    included = set(intent.include_tag_names())
    for name in getattr(intent, "unknown_artists", []):
        style = [tag for tag in artist_style(name) if tag in known_tags]
        for tag in style:
            if tag not in included:
                intent.include_tags.append(TagChoice(tag, ARTIST_STYLE_CONFIDENCE, source=name))
                included.add(tag)
        note = f"{name} is not in your library; " + (
            f"used its style: {', '.join(style)}" if style else "used the rest of the prompt"
        )
        if note not in intent.warnings:
            intent.warnings.append(note)


@dataclass(frozen=True)
class _Length:
    """How long the playlist is: a number of tracks, or a total length it is filled to."""

    size: int  # tracks (an estimate when a total length is asked)
    duration_ms: float | None = None

    @classmethod
    def of(cls, intent: Intent, *, size: int | None, duration_seconds: int | None) -> _Length:
        if size:
            return cls(size=size)
        seconds = duration_seconds or (None if intent.size else intent.duration_seconds)
        if seconds:
            return cls(size=size_for_duration(seconds), duration_ms=seconds * 1000.0)
        return cls(size=validate_size(intent.target_size(DEFAULT_SIZE)) or DEFAULT_SIZE)

    @property
    def pool_size(self) -> int:
        """Tracks to choose from: twice the estimate when they are picked to fill a length."""
        if self.duration_ms is None:
            return self.size
        return min(MAX_SIZE, max(2 * self.size, self.size + 10))


ARC_CHOICE_FACTOR = 5


def _score(
    pool: CandidatePool,
    intent: Intent,
    query_vector: np.ndarray,
    listener: ListenerContext,
    profile: TasteProfile,
    rules: EditorialRules,
    weights: Weights,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    heard = None
    if not listener.is_empty:
        heard = np.array([int(track_id) in listener.heard_track_ids for track_id in pool.track_ids])
        if intent.familiarity == "favourites":
            # "My favourites": the discovery signal turns around and rewards what they know.
            heard = ~heard
    affinity = None
    if listener.track_affinity:
        affinity = np.array([listener.track_affinity.get(int(track_id), 0.0) for track_id in pool.track_ids])
    taste_tags = None
    if not profile.is_empty:
        taste_tags = profile_affinity(
            pool_tags=pool.tags,
            pool_artists=pool.artist_ids,
            pool_years=pool.feature("release_year"),
            pool_popularity=pool.feature("popularity"),
            profile=profile,
        )
    scores, components = score_candidates(
        pool,
        query_vector=query_vector,
        ranges=_score_ranges(intent),
        include_tags={tag.name: tag.confidence for tag in intent.include_tags},
        avoid_tags=intent.avoid_tags,
        taste_vector=listener.taste_vector,
        affinity=affinity,
        taste_tags=taste_tags,
        heard=heard,
        weights=weights,
    )
    return scores + _editorial_boost(pool, rules), components


def _rerank_rules(rules: EditorialRules, diversity: float | None) -> RerankRules:
    if diversity is None:
        return RerankRules(exposure_floor=rules.exposure_floor)
    return RerankRules(exposure_floor=rules.exposure_floor, diversity=diversity)


def _pinned_rows(pool: CandidatePool, rules: EditorialRules) -> dict[int, int]:
    row_of = {int(track_id): row for row, track_id in enumerate(pool.track_ids)}
    return {row_of[pin.track_id]: pin.position for pin in rules.pinned if pin.track_id in row_of}


def _choose(
    pool: CandidatePool,
    intent: Intent,
    scores: np.ndarray,
    blocked: np.ndarray,
    rules: EditorialRules,
    size: int,
    length: _Length,
    *,
    diversity: float | None = None,
) -> RerankResult:
    # An energy arc picks from a wider, still diverse list so every stretch of the arc finds
    # tracks of its energy; a total length picks from a wider list to fill it.
    chosen = rerank(
        scores=scores,
        embeddings=pool.embeddings,
        artist_ids=pool.artist_ids,
        size=size,
        blocked=blocked,
        pinned=list(_pinned_rows(pool, rules).items()),
        long_tail=np.nan_to_num(pool.feature("popularity"), nan=0.0) < LONG_TAIL_POPULARITY,
        rules=_rerank_rules(rules, diversity),
    )
    intent.relaxed.extend(chosen.relaxed)
    if length.duration_ms is None and len(chosen.rows) < length.size:
        intent.relaxed.append(
            f"size: only {len(chosen.rows)} of {length.size} tracks satisfy the exclusions and limits"
        )
    return chosen


def _sequenced(
    chosen: RerankResult, pool: CandidatePool, scores: np.ndarray, intent: Intent, length: _Length
) -> list[int]:
    """The chosen rows in playing order, pins in place; filled to the asked total length if any."""
    unpinned = [row for row in chosen.rows if row not in chosen.pinned_rows]
    if length.duration_ms is None:
        free_slots = length.size - len(chosen.pinned_rows)
        return _place_pins(_ordered_rows(unpinned, pool, scores, intent, free_slots), chosen.pinned_rows)
    durations = pool.feature("duration_ms")
    pinned_ms = fill_total_ms(list(chosen.pinned_rows), durations)
    filled = fill_duration(unpinned, durations, length.duration_ms, already_ms=pinned_ms)
    total = pinned_ms + fill_total_ms(filled, durations)
    if not duration_met(total, length.duration_ms):
        intent.relaxed.append(
            f"length: asked for {_minutes(length.duration_ms)}, the fitting tracks make "
            f"{_minutes(total)} ({abs(total - length.duration_ms) / length.duration_ms:.0%} "
            f"{'short' if total < length.duration_ms else 'over'}; ±{DURATION_TOLERANCE:.0%} was the aim)"
        )
    return _place_pins(_ordered_rows(filled, pool, scores, intent, len(filled)), chosen.pinned_rows)


def _minutes(milliseconds: float) -> str:
    minutes = round(milliseconds / 60000)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _ordered_rows(
    rows: list[int], pool: CandidatePool, scores: np.ndarray, intent: Intent, size: int
) -> list[int]:
    """``size`` of ``rows`` in playing order: along the energy arc, or smooth transitions."""
    if size <= 0:
        return []
    if intent.energy_arc:
        return arc_select(
            rows=rows,
            scores=scores,
            energy=pool.feature("energy"),
            artist_ids=pool.artist_ids,
            targets=arc_targets(intent.energy_arc, min(size, len(rows))),
            cap=artist_cap(size, RerankRules()),
        )
    rows = rows[:size]
    order = sequence(
        tempo=pool.feature("tempo")[rows],
        energy=pool.feature("energy")[rows],
        key=pool.feature("key")[rows],
        mode=pool.feature("mode")[rows],
    )
    return [rows[index] for index in order]


def _place_pins(ordered: list[int], pinned_rows: Mapping[int, int]) -> list[int]:
    rest = [row for row in ordered if row not in pinned_rows]
    for row, position in sorted(pinned_rows.items(), key=lambda item: item[1]):
        rest.insert(min(max(position, 0), len(rest)), row)
    return rest


def _score_ranges(intent: Intent) -> dict[str, RangeSpec]:
    ranges = {
        feature: RangeSpec(spec.low, spec.high, weight=_range_weight(spec))
        for feature, spec in intent.feature_ranges.items()
        if not (spec.source == NO_VOCALS_SOURCE and feature == "speechiness")
    }
    if intent.era:
        ranges["release_year"] = RangeSpec(float(intent.era[0]), float(intent.era[1]), weight=2.0)
    return ranges


def _range_weight(spec: FeatureRange) -> float:
    """A range's weight in the feature fit. "No vocals" keeps the weight it had as a mood word:
    as a filter it already holds for every candidate, and a doubled constant would only dilute
    the prompt's other ranges (its speechiness ceiling is a filter alone)."""
    doubled = spec.hard and spec.source != NO_VOCALS_SOURCE
    return max(spec.confidence, 0.05) * (2.0 if doubled else 1.0)


def _editorial_boost(pool: CandidatePool, rules: EditorialRules) -> np.ndarray:
    boost = np.zeros(len(pool))
    if rules.boosted_artist_ids:
        for row, artist_ids in enumerate(pool.artist_ids):
            if rules.boosted_artist_ids.intersection(artist_ids):
                boost[row] = 0.3
    return boost
