"""From a prompt (or an edited Intent) to a scored, re-ranked, sequenced and explained track list.

The Django side of the engine: it loads the vocabulary and candidates from the database and
hands plain arrays to the pure modules in ``playlists.engine``. Hard constraints (exclusions,
explicit tempo / era / length) are database filters, so no track violates them; when they
leave too few tracks, the numeric ones are relaxed one by one (exclusions never are) and
each relaxation is recorded in ``Composition.relaxed``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import psycopg
import torch
from django.db import connection
from django.db.models import Count, F, FloatField, Max, Value
from django.db.models.functions import Greatest, Lower

from catalog.embeddings import encode_documents
from catalog.features import AUDIO_FEATURE_RANGES, EMBEDDING_DIMENSIONS
from catalog.models import Artist, Tag, Track, TrackTag
from catalog.search import RANGE_COLUMNS, SearchFilters, apply_filters, track_vector_search
from playlists.engine.candidates import CandidatePool, merge_candidates
from playlists.engine.explain import ExplainContext, explain
from playlists.engine.rerank import RerankResult, RerankRules, artist_cap, rerank
from playlists.engine.scoring import (
    DEFAULT_FIT_SCALE,
    FIT_SCALES,
    RangeSpec,
    Weights,
    range_fit,
    score_candidates,
)
from playlists.engine.sequencing import arc_select, arc_targets, sequence
from playlists.engine.taste import (
    TasteProfile,
    favourite_artists,
    profile_affinity,
    taste_profile,
    taste_vector,
)
from playlists.intent import (
    DEFAULT_SIZE,
    FeatureRange,
    Intent,
    PromptError,
    parse_prompt,
    validate_size,
)
from playlists.vocabulary import CatalogVocabulary, vocabulary_build

__all__ = [
    "Composition",
    "ComposedItem",
    "EditorialRules",
    "ListenerContext",
    "Pin",
    "PromptError",
    "Weights",
    "playlist_compose",
    "encode_prompt_texts",
    "listener_context_build",
    "vocabulary_load",
]

STAGES = ("parse", "candidates", "score", "rerank", "sequence", "explain")
FEATURE_COLUMNS = (*AUDIO_FEATURE_RANGES, "popularity", "release_year", "duration_ms")
LONG_TAIL_POPULARITY = 30


@dataclass(frozen=True)
class ListenerContext:
    """What personalization may use; built by the caller, empty when it is not allowed."""

    taste_vector: np.ndarray | None = None  # 384-d, unit length
    heard_track_ids: frozenset[int] = frozenset()
    track_affinity: Mapping[int, float] = field(default_factory=dict)  # track id -> likes/plays weight
    favourite_artist_names: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return (
            self.taste_vector is None
            and not self.heard_track_ids
            and not self.track_affinity
            and not self.favourite_artist_names
        )


@dataclass(frozen=True)
class Pin:
    track_id: int
    position: int = 0  # 0-based position hint


@dataclass(frozen=True)
class EditorialRules:
    blocked_track_ids: frozenset[int] = frozenset()
    blocked_artist_ids: frozenset[int] = frozenset()
    pinned: tuple[Pin, ...] = ()
    boosted_artist_ids: frozenset[int] = frozenset()
    exposure_floor: float = 0.0  # minimum share of long-tail artists' tracks


@dataclass
class ComposedItem:
    track_id: int
    position: int
    score: float
    components: dict[str, float]
    reasons: list[str]


@dataclass
class Composition:
    intent: Intent
    items: list[ComposedItem]
    stage_seconds: dict[str, float]
    weights: dict[str, float]
    relaxed: list[str]
    propensity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent.to_dict(),
            "items": [item.__dict__ for item in self.items],
            "stage_seconds": self.stage_seconds,
            "weights": self.weights,
            "relaxed": self.relaxed,
            "propensity": self.propensity,
        }


# --- vocabulary ---------------------------------------------------------------------------------


def _catalog_version() -> tuple[int, int | None]:
    """Changes when tags are added or removed: the vocabulary is rebuilt then.

    Artists are not part of it: they are looked up in the database (an index seek on the
    lower-cased name) each time, so an import that adds artists does not rebuild the vocabulary.
    """
    tags = Tag.objects.aggregate(count=Count("pk"), last=Max("pk"))
    return tags["count"], tags["last"]


@lru_cache(maxsize=1)
def _vocabulary_for(version: tuple[int, int | None]) -> CatalogVocabulary:
    counts = dict(
        TrackTag.objects.values("tag__name").annotate(n=Count("pk")).values_list("tag__name", "n").order_by()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.name, b.name, COUNT(*) FROM catalog_tracktag x
            JOIN catalog_tracktag y ON x.track_id = y.track_id AND x.tag_id < y.tag_id
            JOIN catalog_tag a ON a.id = x.tag_id JOIN catalog_tag b ON b.id = y.tag_id
            GROUP BY a.name, b.name
            """
        )
        pairs = {(first, second): count for first, second, count in cursor.fetchall()}
    return vocabulary_build(
        tag_counts=counts,
        pair_counts=pairs,
        encoder=encode_prompt_texts,
        artist_lookup=_artist_lookup,
    )


_encode_lock = threading.Lock()


def encode_prompt_texts(texts: Sequence[str]) -> np.ndarray:
    """Embed a prompt's few short texts on one thread.

    For a handful of short texts a second intra-op thread gains nothing, and on a busy machine
    (2 cores shared with a worker or a web process) its spin-waiting made one prompt cost
    130-250 ms instead of 20-33 ms (measured). The thread count is process-wide, hence the lock.
    """
    with _encode_lock:
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return encode_documents(list(texts))
        finally:
            torch.set_num_threads(previous)


def _artist_lookup(text: str) -> str | None:
    """The catalog's spelling of an artist named ``text`` (any case), or None."""
    if not text or len(text) > 300:
        return None
    return (
        Artist.objects.annotate(lower_name=Lower("name"))
        .filter(lower_name=text.lower())
        .values_list("name", flat=True)
        .first()
    )


def vocabulary_load() -> CatalogVocabulary:
    """The catalog's vocabulary, cached per process until its tags change."""
    return _vocabulary_for(_catalog_version())


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


def playlist_compose(
    *,
    prompt: str | None = None,
    intent: Intent | None = None,
    size: int | None = None,
    listener: ListenerContext | None = None,
    rules: EditorialRules | None = None,
    weights: Weights | None = None,
    diversity: float | None = None,
    exclude_track_ids: frozenset[int] = frozenset(),
    on_stage: Callable[[str], None] | None = None,
) -> Composition:
    """Compose a playlist from ``prompt`` or an (edited) ``intent``; raises PromptError on bad input.

    ``diversity`` overrides the re-ranking's MMR strength (an experiment variant's setting)."""
    validate_size(size)
    listener = listener or ListenerContext()
    rules = rules or EditorialRules()
    weights = weights or Weights()
    stages = _Stages(on_stage)
    with stages.stage("parse"):
        vocabulary = vocabulary_load()
        if intent is None:
            if prompt is None:
                raise PromptError("Give a prompt or an intent.")
            intent = parse_prompt(prompt, vocabulary=vocabulary)
        else:
            intent = Intent.from_dict(intent.to_dict())
            intent.relaxed = []
        target = validate_size(size or intent.target_size(DEFAULT_SIZE)) or DEFAULT_SIZE
        query_vector = vocabulary.encode([intent.semantic_text or (prompt or "music")])[0]
    with stages.stage("candidates"):
        profile = _listener_profile(listener)
        pool, relaxed, blocked = _candidates(
            intent, target, query_vector, listener, rules, exclude_track_ids, profile
        )
    intent.relaxed.extend(relaxed)
    with stages.stage("score"):
        scores, components = _score(pool, intent, query_vector, listener, profile, rules, weights)
    with stages.stage("rerank"):
        chosen = _choose(pool, intent, scores, blocked, rules, target, diversity=diversity)
    with stages.stage("sequence"):
        unpinned = [row for row in chosen.rows if row not in chosen.pinned_rows]
        free_slots = target - len(chosen.pinned_rows)
        ordered = _place_pins(_ordered_rows(unpinned, pool, scores, intent, free_slots), chosen.pinned_rows)
    with stages.stage("explain"):
        items = _explained_items(
            ordered, pool, intent, listener, rules, scores, components, chosen.pinned_rows
        )
    return Composition(
        intent=intent,
        items=items,
        stage_seconds=stages.seconds,
        weights=weights.to_dict(),
        relaxed=list(intent.relaxed),
        propensity=None,
    )


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


def _choose(
    pool: CandidatePool,
    intent: Intent,
    scores: np.ndarray,
    blocked: np.ndarray,
    rules: EditorialRules,
    target: int,
    *,
    diversity: float | None = None,
) -> RerankResult:
    row_of = {int(track_id): row for row, track_id in enumerate(pool.track_ids)}
    pinned = [(row_of[pin.track_id], pin.position) for pin in rules.pinned if pin.track_id in row_of]
    # An energy arc picks from a wider, still diverse list so every stretch of the arc finds
    # tracks of its energy.
    chosen = rerank(
        scores=scores,
        embeddings=pool.embeddings,
        artist_ids=pool.artist_ids,
        size=target * ARC_CHOICE_FACTOR if intent.energy_arc else target,
        blocked=blocked,
        pinned=pinned,
        long_tail=np.nan_to_num(pool.feature("popularity"), nan=0.0) < LONG_TAIL_POPULARITY,
        rules=_rerank_rules(rules, diversity),
    )
    intent.relaxed.extend(chosen.relaxed)
    if len(chosen.rows) < target:
        intent.relaxed.append(
            f"size: only {len(chosen.rows)} of {target} tracks satisfy the exclusions and limits"
        )
    return chosen


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
        feature: RangeSpec(
            spec.low, spec.high, weight=max(spec.confidence, 0.05) * (2.0 if spec.hard else 1.0)
        )
        for feature, spec in intent.feature_ranges.items()
    }
    if intent.era:
        ranges["release_year"] = RangeSpec(float(intent.era[0]), float(intent.era[1]), weight=2.0)
    return ranges


def _editorial_boost(pool: CandidatePool, rules: EditorialRules) -> np.ndarray:
    boost = np.zeros(len(pool))
    if rules.boosted_artist_ids:
        for row, artist_ids in enumerate(pool.artist_ids):
            if rules.boosted_artist_ids.intersection(artist_ids):
                boost[row] = 0.3
    return boost


# --- listeners ----------------------------------------------------------------------------------

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
    pool = _load_pool({track_id: {"history"} for track_id in weights})
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


def _listener_profile(listener: ListenerContext) -> TasteProfile:
    liked = _liked(listener)
    if not liked:
        return TasteProfile()
    played = _load_pool({track_id: {"history"} for track_id in liked})
    return taste_profile(
        track_tags=played.tags,
        track_artists=played.artist_ids,
        years=played.feature("release_year"),
        popularity=played.feature("popularity"),
        weights=np.array([liked[int(track_id)] for track_id in played.track_ids]),
    )


def _liked(listener: ListenerContext) -> dict[int, float]:
    """The heard tracks the listener likes: the taste profile and "my favourites" come from
    these alone (``track_affinity`` also carries skips and dislikes, negative, and CF tracks
    they never heard)."""
    return {
        track_id: weight
        for track_id, weight in listener.track_affinity.items()
        if weight > 0 and (not listener.heard_track_ids or track_id in listener.heard_track_ids)
    }


# --- candidates ---------------------------------------------------------------------------------


@dataclass
class _Constraints:
    """The hard part of an Intent as database filters; relaxing moves a range to the soft side."""

    audio: dict[str, tuple[float | None, float | None]]
    columns: dict[str, tuple[float | None, float | None]]
    era: tuple[int | None, int | None]
    tags_none: list[str]
    exclude_ids: list[int]
    exclude_artist_ids: list[int]

    def filters(
        self,
        *,
        tags_any: list[str] | None = None,
        soft_ranges: Mapping[str, tuple[float, float]] | None = None,
    ) -> SearchFilters:
        audio, columns = dict(self.audio), dict(self.columns)
        for feature, bounds in (soft_ranges or {}).items():
            (audio if feature in AUDIO_FEATURE_RANGES else columns).setdefault(feature, bounds)
        return SearchFilters(
            tags_any=tags_any or (),
            tags_none=self.tags_none,
            feature_ranges=audio,
            year_range=self.era,
            exclude_ids=self.exclude_ids,
            column_ranges=columns,
            exclude_artist_ids=self.exclude_artist_ids,
        )


def _constraints(
    intent: Intent, listener: ListenerContext, rules: EditorialRules, exclude_track_ids: frozenset[int]
) -> _Constraints:
    excluded = set(exclude_track_ids) | set(rules.blocked_track_ids)
    if intent.familiarity == "new_only":
        excluded |= set(listener.heard_track_ids)
    artist_ids = set(rules.blocked_artist_ids) | set(_artist_ids(intent.exclude_artists))
    hard = intent.hard_ranges()
    return _Constraints(
        audio={name: bounds for name, bounds in hard.items() if name in AUDIO_FEATURE_RANGES},
        columns={name: bounds for name, bounds in hard.items() if name in RANGE_COLUMNS},
        era=intent.era or (None, None),
        tags_none=list(intent.exclude_tags),
        exclude_ids=sorted(excluded),
        exclude_artist_ids=sorted(artist_ids),
    )


def _artist_ids(names: list[str]) -> list[int]:
    if not names:
        return []
    lowered = [name.lower() for name in names]
    return list(
        Artist.objects.annotate(lower_name=Lower("name"))
        .filter(lower_name__in=lowered)
        .values_list("pk", flat=True)
    )


def _enough(filters: SearchFilters, need: int) -> bool:
    queryset = apply_filters(Track.objects.filter(embedding__isnull=False), filters)
    return len(queryset.order_by().values_list("pk", flat=True)[:need]) >= need


def _relax(intent: Intent, constraints: _Constraints, need: int) -> list[str]:
    """Widen numeric hard constraints to the nearest values that ``need`` tracks have.

    Exclusions are never relaxed. Each numeric constraint that leaves too few tracks (given
    the others) moves to the closest range the catalog can fill, and the change is recorded.
    """
    relaxed: list[str] = []
    nothing_to_relax = not (constraints.audio or constraints.columns or constraints.era != (None, None))
    if nothing_to_relax or _enough(constraints.filters(), need):
        return relaxed
    for column in [*constraints.audio, *constraints.columns, "release_year"]:
        group = constraints.audio if column in constraints.audio else constraints.columns
        if column == "release_year":
            if constraints.era == (None, None):
                continue
            asked: tuple[float | None, float | None] = constraints.era
            constraints.era = (None, None)
        else:
            asked = group.pop(column)
        widened = _closest_range(constraints.filters(), column, asked, need)
        if widened is None:
            continue
        low, high = widened
        if column == "release_year":
            constraints.era = (int(low), int(high))
            intent.era = (int(low), int(high))
        else:
            group[column] = (low, high)
            intent.feature_ranges[column].low, intent.feature_ranges[column].high = low, high
        closest = _range_text(column, (low, high))
        relaxed.append(f"{_range_text(column, asked)}: too few tracks; used the closest, {closest}")
        if _enough(constraints.filters(), need):
            break
    return relaxed


def _closest_range(
    filters: SearchFilters, column: str, asked: tuple[float | None, float | None], need: int
) -> tuple[float, float] | None:
    """The (low, high) of the ``need`` tracks nearest to the asked range, under ``filters``."""
    low = asked[0] if asked[0] is not None else -1e12
    high = asked[1] if asked[1] is not None else 1e12
    distance = Greatest(
        Value(low) - F(column), F(column) - Value(high), Value(0.0), output_field=FloatField()
    )
    values = list(
        apply_filters(Track.objects.filter(embedding__isnull=False, **{f"{column}__isnull": False}), filters)
        .annotate(distance=distance)
        .order_by("distance")
        .values_list(column, flat=True)[:need]
    )
    if not values:
        return None
    return float(min(values)), float(max(values))


def _range_text(column: str, bounds: tuple[float | None, float | None]) -> str:
    low, high = bounds
    names = {"duration_ms": "length", "release_year": "year"}
    scale = 60000.0 if column == "duration_ms" else 1.0
    unit = {"tempo": " bpm", "duration_ms": " min"}.get(column, "")
    name = names.get(column, column)

    def show(value: float) -> str:
        return f"{value / scale:.4g}{unit}"

    if low is None or low <= 0:
        return f"{name} under {show(high or 0)}"
    if high is None or high < low or high >= 1e6 or (column == "tempo" and high >= 300):
        return f"{name} over {show(low)}"
    return f"{name} {show(low)}-{show(high)}"


def _candidates(
    intent: Intent,
    size: int,
    query_vector: np.ndarray,
    listener: ListenerContext,
    rules: EditorialRules,
    exclude_track_ids: frozenset[int],
    profile: TasteProfile,
) -> tuple[CandidatePool, list[str], np.ndarray]:
    constraints = _constraints(intent, listener, rules, exclude_track_ids)
    relaxed = _relax(intent, constraints, size)
    include = intent.include_tag_names()
    soft_ranges = {
        feature: (spec.low, spec.high)
        for feature, spec in intent.feature_ranges.items()
        if not spec.hard
        and (feature in AUDIO_FEATURE_RANGES or feature in RANGE_COLUMNS)
        and spec.confidence >= 0.5
    }
    depth = max(2 * size, 60)
    sources: dict[str, list[int]] = {}
    if include or soft_ranges:
        sources["strict"] = _search(
            query_vector, depth, constraints.filters(tags_any=include, soft_ranges=soft_ranges)
        )
    if include and len(sources.get("strict", ())) < depth:
        # The soft ranges left few tracks of the asked-for genres: widen to the genres alone.
        sources["tags"] = _search(query_vector, depth, constraints.filters(tags_any=include))
    if len(sources.get("strict", ())) < depth:
        # Words alone, under the hard filters: the fallback when the intent's tags and soft
        # ranges leave too few tracks (a full strict list already outranks these).
        sources["semantic"] = _search(query_vector, depth, constraints.filters())
    if intent.seed_artists:
        sources["seed"] = _seed_tracks(intent.seed_artists, constraints.filters(), limit=max(size, 30))
    if listener.taste_vector is not None:
        sources["taste"] = _search(listener.taste_vector, max(2 * size, 60), constraints.filters())
        favourite_tags = [tag for tag, share in profile.tag_shares.items() if share >= TASTE_TAG_MIN_SHARE]
        if favourite_tags:
            sources["taste_tags"] = _search(
                listener.taste_vector, max(4 * size, 150), constraints.filters(tags_any=favourite_tags)
            )
    if profile.artist_shares:
        top_artists = sorted(profile.artist_shares, key=lambda artist: -profile.artist_shares[artist])
        sources["taste_artists"] = _artist_tracks(
            top_artists[:TASTE_ARTISTS], constraints.filters(), limit=5 * size
        )
    liked = _liked(listener)
    if intent.familiarity == "favourites" and liked:
        favourites = sorted(liked, key=lambda track: -liked[track])
        sources["favourites"] = _passing(favourites[: 5 * size], constraints.filters())
    if rules.pinned:
        sources["pin"] = _passing([pin.track_id for pin in rules.pinned], constraints.filters())
    merged = merge_candidates(sources)
    pool = _load_pool(merged)
    blocked = np.array(
        [
            int(track_id) in rules.blocked_track_ids or bool(rules.blocked_artist_ids.intersection(artists))
            for track_id, artists in zip(pool.track_ids, pool.artist_ids, strict=True)
        ],
        dtype=bool,
    )
    return pool, relaxed, blocked


def _search(vector: np.ndarray, k: int, filters: SearchFilters) -> list[int]:
    # A candidate source may come back short rather than rank a large filtered set exactly:
    # the other sources and the relaxation step fill the pool (bounded time at 1M tracks).
    hits = track_vector_search(query_vector=vector, k=k, filters=filters, complete=False)
    return [hit.track_id for hit in hits]


def _passing(track_ids: list[int], filters: SearchFilters) -> list[int]:
    allowed = set(apply_filters(Track.objects.filter(pk__in=track_ids), filters).values_list("pk", flat=True))
    return [track_id for track_id in track_ids if track_id in allowed]


def _seed_tracks(names: list[str], filters: SearchFilters, *, limit: int) -> list[int]:
    return _artist_tracks(_artist_ids(names), filters, limit=limit)


def _artist_tracks(artist_ids: list[int], filters: SearchFilters, *, limit: int) -> list[int]:
    queryset = apply_filters(Track.objects.filter(artists__in=artist_ids, embedding__isnull=False), filters)
    return list(queryset.order_by("-popularity", "pk").values_list("pk", flat=True).distinct()[:limit])


_POOL_SQL = f"""
SELECT t.id, t.embedding, {", ".join(f"t.{column}::float8" for column in FEATURE_COLUMNS)},
       ARRAY(SELECT tt.tag_id FROM catalog_tracktag tt WHERE tt.track_id = t.id),
       ARRAY(SELECT ta.artist_id FROM catalog_trackartist ta WHERE ta.track_id = t.id ORDER BY ta.position)
FROM catalog_track t WHERE t.id = ANY(%s) AND t.embedding IS NOT NULL
"""


def _load_pool(merged: Mapping[int, set[str]]) -> CandidatePool:
    """Features, tags, artists and embeddings of the candidates in two queries.

    The embeddings come in pgvector's binary format: parsing 384 floats per row from text
    took most of this stage's time (15 ms for 250 rows against 2 ms).
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_POOL_SQL, [list(merged)], binary=True)
        fetched = {row[0]: row for row in cursor.fetchall()}
    track_ids = [track_id for track_id in merged if track_id in fetched]
    rows = [fetched[track_id] for track_id in track_ids]
    artist_names = _artist_names({artist_id for row in rows for artist_id in row[-1]})
    width = len(FEATURE_COLUMNS)
    tag_names = _tag_names({tag_id for row in rows for tag_id in row[2 + width]})
    features = {
        column: np.array([np.nan if row[2 + index] is None else row[2 + index] for row in rows], dtype=float)
        for index, column in enumerate(FEATURE_COLUMNS)
    }
    return CandidatePool(
        track_ids=np.array(track_ids, dtype=np.int64),
        embeddings=_embeddings(row[1] for row in rows),
        features=features,
        tags=[frozenset(tag_names[tag_id] for tag_id in row[2 + width]) for row in rows],
        artist_ids=[tuple(row[3 + width]) for row in rows],
        artist_names=[tuple(artist_names.get(artist_id, "") for artist_id in row[3 + width]) for row in rows],
        sources=[frozenset(merged[track_id]) for track_id in track_ids],
    )


def _embeddings(blobs: Iterable[bytes]) -> np.ndarray:
    # pgvector binary: int16 dimensions, int16 unused, then big-endian float4 values.
    vectors = [np.frombuffer(blob, dtype=">f4", offset=4) for blob in blobs]
    if not vectors:
        return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    return np.stack(vectors).astype(np.float32)


def _artist_names(artist_ids: set[int]) -> dict[int, str]:
    return dict(Artist.objects.filter(pk__in=artist_ids).values_list("pk", "name"))


def _tag_names(tag_ids: set[int]) -> dict[int, str]:
    return dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name"))


# --- explanations -------------------------------------------------------------------------------


def _explained_items(
    ordered: list[int],
    pool: CandidatePool,
    intent: Intent,
    listener: ListenerContext,
    rules: EditorialRules,
    scores: np.ndarray,
    components: Mapping[str, np.ndarray],
    pinned_rows: Mapping[int, int],
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
