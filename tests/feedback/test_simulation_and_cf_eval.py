"""The simulation and the CF evaluation on small synthetic data (pure: no database)."""

from __future__ import annotations

import numpy as np

from feedback.learning import cf
from feedback.learning.simulation import Catalog, Listener, simulate


def _world(seed: int = 0) -> tuple[Catalog, list[Listener]]:
    rng = np.random.default_rng(seed)
    features = rng.random((1500, 4))
    catalog = Catalog(features=features, popularity=rng.random(1500), genre=np.zeros(1500, dtype=int))
    listeners = [Listener(taste=rng.random(4), popularity=float(rng.random()), genre=0) for _ in range(30)]
    return catalog, listeners


def test_the_bandit_beats_a_poor_fixed_policy_in_simulation() -> None:
    catalog, listeners = _world()

    fixed, _ = simulate(catalog, listeners, sessions=15, adaptive=False, fixed_policy="familiar")
    adaptive, played = simulate(catalog, listeners, sessions=15, adaptive=True)

    assert adaptive[-5:].mean() < fixed[-5:].mean()
    assert played["familiar"] < sum(played.values()) / 2


def test_als_beats_popularity_on_clustered_interactions() -> None:
    rng = np.random.default_rng(1)
    rows, cols = [], []
    for user in range(200):
        cluster = user % 4
        for item in rng.choice(50, size=12, replace=False):
            rows.append(user)
            cols.append(cluster * 50 + int(item))
    matrix = cf.interaction_matrix(np.array(rows), np.array(cols), np.ones(len(rows)), (200, 200))
    split = cf.holdout_split(matrix, seed=0)
    users = sorted(split.test)

    als = cf.ranking_metrics(
        cf.recommend_factors(cf.als_train(split.train, factors=8), split.train, users, 10), split.test, 10
    )
    popular = cf.ranking_metrics(cf.recommend_popularity(split.train, users, 10), split.test, 10)

    assert als[0] > popular[0] * 1.5
    assert 0 <= als[1] <= 1


def test_a_listeners_vector_from_fixed_items_ranks_their_items_first() -> None:
    rng = np.random.default_rng(2)
    items = rng.standard_normal((40, 6)).astype(np.float32)
    mine = np.array([3, 7, 11])

    vector = cf.user_vector(items, mine, cf.confidence_of(np.array([5.0, 5.0, 5.0])))

    top = np.argsort(-(items @ vector))[:6]
    assert len(set(top) & set(mine)) >= 2


def test_a_listeners_vector_needs_only_their_items_factors_and_the_models_gram() -> None:
    rng = np.random.default_rng(3)
    items = rng.standard_normal((50, 6)).astype(np.float32)
    mine = np.array([4, 9, 20])
    weights = cf.confidence_of(np.array([1.0, 3.0, 8.0]))
    # The textbook ALS step over every item: (Yᵀ C Y + λI) x = Yᵀ C p.
    confidence = np.ones(len(items))
    confidence[mine] += weights
    preference = np.zeros(len(items))
    preference[mine] = 1.0
    left = items.T @ (confidence[:, None] * items) + cf.REGULARIZATION * np.eye(6)
    expected = np.linalg.solve(left, items.T @ (confidence * preference))

    vector = cf.user_vector_solve(cf.item_gram(items), items[mine], weights)

    assert np.allclose(vector, expected, atol=1e-4)
