from __future__ import annotations

import numpy as np

from playlists.engine.taste import (
    favourite_artists,
    play_weight,
    profile_affinity,
    tag_profile,
    taste_profile,
    taste_vector,
)


def test_play_weight() -> None:
    assert play_weight(ms_played=200_000, skipped=False) == 1.0
    assert play_weight(ms_played=15_000, skipped=False) == 0.5
    assert play_weight(ms_played=200_000, skipped=True) == 0.1


def test_taste_vector_is_the_weighted_unit_mean() -> None:
    embeddings = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    vector = taste_vector(embeddings, np.array([3.0, 1.0]))
    assert vector is not None and np.isclose(np.linalg.norm(vector), 1.0) and vector[0] > vector[1]
    assert taste_vector(embeddings[:0], np.array([])) is None


def test_favourites_and_tag_profile() -> None:
    assert favourite_artists([("A", 1.0), ("B", 3.0), ("A", 1.5)], top=1) == ("B",)
    assert tag_profile([{"jazz"}, {"jazz", "bebop"}], [1.0, 1.0]) == {"jazz": 1.0, "bebop": 0.5}


def test_profile_prefers_the_listeners_tags_artists_and_era() -> None:
    profile = taste_profile(
        track_tags=[{"jazz"}] * 4,
        track_artists=[(1,), (1,), (2,), (2,)],
        years=np.array([1960.0, 1961.0, 1962.0, 1963.0]),
        popularity=np.array([40.0, 45.0, 50.0, 55.0]),
        weights=np.ones(4),
    )
    scores = profile_affinity(
        pool_tags=[frozenset({"jazz"}), frozenset({"rock"})],
        pool_artists=[(1,), (9,)],
        pool_years=np.array([1961.0, 2015.0]),
        pool_popularity=np.array([45.0, 90.0]),
        profile=profile,
    )
    assert scores[0] > scores[1] + 1.5
