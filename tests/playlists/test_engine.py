"""The pure engine modules on small arrays."""

from __future__ import annotations

import numpy as np
import pytest

from playlists.engine.candidates import CandidatePool, merge_candidates
from playlists.engine.explain import ExplainContext, explain
from playlists.engine.rerank import RerankRules, artist_cap, rerank
from playlists.engine.scoring import RangeSpec, Weights, feature_fit, score_candidates, tag_match
from playlists.engine.sequencing import arc_targets, camelot, camelot_distance, sequence, smoothness


def unit_rows(count: int, dims: int = 8, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dims))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def pool_of(count: int, **features: list[float]) -> CandidatePool:
    return CandidatePool(
        track_ids=np.arange(100, 100 + count),
        embeddings=unit_rows(count),
        features={name: np.array(values, dtype=float) for name, values in features.items()},
        tags=[frozenset() for _ in range(count)],
        artist_ids=[(row,) for row in range(count)],
        artist_names=[(f"Artist {row}",) for row in range(count)],
    )


def test_merge_keeps_first_seen_order_and_all_sources() -> None:
    merged = merge_candidates({"strict": [3, 1], "semantic": [1, 2, 9]}, exclude=[9])
    assert list(merged) == [3, 1, 2]
    assert merged[1] == {"strict", "semantic"}


def test_feature_fit_is_one_inside_and_decays_outside() -> None:
    pool = pool_of(3, energy=[0.2, 0.5, np.nan])
    fit = feature_fit(pool, {"energy": RangeSpec(0.0, 0.3)})
    assert fit[0] == 1.0
    assert 0 < fit[1] < 0.1
    assert fit[2] == 0.5


def test_tag_match_uses_best_confidence_and_penalizes_avoided_tags() -> None:
    pool = pool_of(3)
    pool.tags = [frozenset({"jazz", "bebop"}), frozenset({"rap"}), frozenset({"jazz", "rap"})]
    scores = tag_match(pool, {"jazz": 0.8, "bebop": 1.0}, avoid=["rap"])
    assert scores.tolist() == pytest.approx([1.0, -0.5, 0.3])


def test_weights_are_named_and_change_the_ranking() -> None:
    pool = pool_of(2, energy=[0.1, 0.9])
    query = pool.embeddings[1]
    ranges = {"energy": RangeSpec(0.0, 0.3)}
    by_words, _ = score_candidates(
        pool, query_vector=query, ranges=ranges, include_tags={}, weights=Weights(feature_fit=0.0)
    )
    by_fit, components = score_candidates(
        pool, query_vector=query, ranges=ranges, include_tags={}, weights=Weights(semantic=0.0)
    )
    assert by_words.argmax() == 1 and by_fit.argmax() == 0
    assert set(components) == {"semantic", "feature_fit", "tag_match", "taste", "popularity", "discovery"}
    assert Weights.from_dict(Weights(taste=2.0).to_dict()) == Weights(taste=2.0)


def test_blocked_tracks_never_appear_even_when_best_or_pinned() -> None:
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    blocked = np.array([True, False, False, True, False])
    result = rerank(
        scores=scores,
        embeddings=unit_rows(5),
        artist_ids=[(row,) for row in range(5)],
        size=5,
        blocked=blocked,
        pinned=[(3, 0)],
    )
    assert 0 not in result.rows and 3 not in result.rows
    assert len(result.rows) == 3


def test_artist_cap_two_per_thirty() -> None:
    count = 90
    scores = np.linspace(10, 1, count)
    artist_ids = [(row % 3,) if row < 30 else (row,) for row in range(count)]
    result = rerank(
        scores=scores,
        embeddings=unit_rows(count, dims=64),
        artist_ids=artist_ids,
        size=30,
        blocked=np.zeros(count, dtype=bool),
    )
    per_artist: dict[int, int] = {}
    for row in result.rows:
        for artist in artist_ids[row]:
            per_artist[artist] = per_artist.get(artist, 0) + 1
    assert max(per_artist.values()) <= 2
    assert artist_cap(30, RerankRules()) == 2 and artist_cap(60, RerankRules()) == 4


def test_artist_cap_is_relaxed_and_reported_when_too_few_artists() -> None:
    result = rerank(
        scores=np.array([3.0, 2.0, 1.0]),
        embeddings=unit_rows(3),
        artist_ids=[(7,), (7,), (7,)],
        size=3,
        blocked=np.zeros(3, dtype=bool),
    )
    assert len(result.rows) == 3
    assert any("artist cap" in note for note in result.relaxed)


def test_mmr_prefers_a_different_track_over_a_near_copy() -> None:
    base = unit_rows(1, dims=16)[0]
    other = unit_rows(2, dims=16, seed=3)[1]
    near_copy = base + 0.25 * other
    near_copy /= np.linalg.norm(near_copy)
    embeddings = np.stack([base, near_copy, other])
    result = rerank(
        scores=np.array([1.0, 0.99, 0.9]),
        embeddings=embeddings,
        artist_ids=[(1,), (2,), (3,)],
        size=2,
        blocked=np.zeros(3, dtype=bool),
        rules=RerankRules(diversity=0.5),
    )
    assert result.rows == [0, 2]


def test_exposure_floor_brings_in_long_tail_tracks() -> None:
    count = 20
    long_tail = np.arange(count) >= 15
    result = rerank(
        scores=np.linspace(2, 1, count),
        embeddings=unit_rows(count, dims=32),
        artist_ids=[(row,) for row in range(count)],
        size=10,
        blocked=np.zeros(count, dtype=bool),
        long_tail=long_tail,
        rules=RerankRules(exposure_floor=0.3),
    )
    assert sum(long_tail[row] for row in result.rows) >= 3


def test_pins_are_kept() -> None:
    result = rerank(
        scores=np.array([3.0, 2.0, 1.0, 0.0]),
        embeddings=unit_rows(4),
        artist_ids=[(row,) for row in range(4)],
        size=2,
        blocked=np.zeros(4, dtype=bool),
        pinned=[(3, 1)],
    )
    assert 3 in result.rows and result.pinned_rows == {3: 1}


@pytest.mark.parametrize(
    ("key", "mode", "code"),
    [(0, 1, (8, "B")), (9, 0, (8, "A")), (7, 1, (9, "B")), (4, 0, (9, "A")), (5, 1, (7, "B"))],
)
def test_camelot_codes(key: int, mode: int, code: tuple[int, str]) -> None:
    assert camelot(key, mode) == code


def test_camelot_distance() -> None:
    assert camelot_distance((8, "B"), (8, "B")) == 0
    assert camelot_distance((8, "B"), (9, "B")) == 1
    assert camelot_distance((8, "B"), (8, "A")) == 1
    assert camelot_distance((12, "A"), (1, "A")) == 1
    assert camelot_distance(None, (1, "A")) == 3


def test_sequence_is_smoother_than_a_shuffle() -> None:
    rng = np.random.default_rng(1)
    tempo, energy = rng.uniform(70, 170, 30), rng.uniform(0, 1, 30)
    key, mode = rng.integers(0, 12, 30).astype(float), rng.integers(0, 2, 30).astype(float)
    order = sequence(tempo=tempo, energy=energy, key=key, mode=mode)
    assert sorted(order) == list(range(30))
    assert smoothness(order, tempo, energy, key, mode) < smoothness(list(range(30)), tempo, energy, key, mode)


def test_sequence_follows_a_ramp_down_arc() -> None:
    energy = np.linspace(0.1, 0.95, 12)[::-1][np.random.default_rng(2).permutation(12)]
    order = sequence(
        tempo=np.full(12, 120.0), energy=energy, key=np.zeros(12), mode=np.ones(12), arc="ramp_down"
    )
    ordered = energy[order]
    assert ordered[:3].mean() > ordered[-3:].mean() + 0.4
    assert arc_targets([0.2, 0.8], 3).tolist() == [0.2, 0.5, 0.8]


def test_explanations_name_the_signals() -> None:
    context = ExplainContext(
        include_tags={"jazz": 1.0},
        mood_labels={"calm": 1.0},
        favourite_artists=("Nina Simone",),
        personalized=True,
    )
    reasons = explain(
        context=context,
        tags={"jazz"},
        artist_names=["Nina Simone"],
        components={"semantic": 0.4, "taste": 0.2},
        heard=False,
        curator_pick=True,
    )
    assert reasons == ["matches: jazz, calm", "because you play Nina Simone", "curator pick", "new to you"]


def test_explanation_falls_back_to_the_words() -> None:
    context = ExplainContext(include_tags={}, mood_labels={})
    reasons = explain(
        context=context,
        tags=set(),
        artist_names=["X"],
        components={"semantic": 0.6},
        heard=False,
        curator_pick=False,
    )
    assert reasons == ["close to your words"]


def test_arc_select_fills_each_stretch_with_its_energy() -> None:
    from playlists.engine.sequencing import arc_select

    energy = np.array([0.9, 0.85, 0.8, 0.2, 0.25, 0.5])
    rows = arc_select(
        rows=range(6),
        scores=np.array([1.0, 1.0, 1.0, 0.5, 0.5, 0.9]),
        energy=energy,
        artist_ids=[(row,) for row in range(6)],
        targets=arc_targets("ramp_down", 4),
        cap=1,
    )
    assert len(rows) == 4
    assert energy[rows[0]] >= 0.8 and energy[rows[-1]] <= 0.3
