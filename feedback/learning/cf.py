"""Collaborative filtering: implicit ALS, a listener's vector from fixed item factors, and the
offline evaluation (recall@k, NDCG@k vs item-kNN and popularity). No Django imports.

Confidence: affinities or play counts go through BM25 weighting (as in implicit's Last.fm
example) so one obsessively replayed artist does not drown the rest; negatives are dropped
(ALS on implicit feedback models only what was consumed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

FACTORS = 32
REGULARIZATION = 0.05
ITERATIONS = 15
BM25_K1 = 100.0
BM25_B = 0.8
LOG_CONFIDENCE_SCALE = 10.0


@dataclass(frozen=True)
class Factors:
    users: np.ndarray  # (n_users, FACTORS)
    items: np.ndarray  # (n_items, FACTORS)


def interaction_matrix(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_matrix:
    """A users × items CSR of positive values (duplicates summed, non-positive dropped)."""
    keep = values > 0
    matrix = sparse.coo_matrix((values[keep].astype(np.float32), (rows[keep], cols[keep])), shape=shape)
    return matrix.tocsr()


def confidence(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    from implicit.nearest_neighbours import bm25_weight

    return bm25_weight(matrix, K1=BM25_K1, B=BM25_B).tocsr().astype(np.float32)


def confidence_of(weights: np.ndarray) -> np.ndarray:
    """One listener's confidences for ``user_vector`` (a log scale, as BM25 damps counts in training)."""
    return (np.log1p(np.maximum(weights, 0.0)) * LOG_CONFIDENCE_SCALE).astype(np.float32)


def als_train(
    matrix: sparse.csr_matrix,
    *,
    factors: int = FACTORS,
    regularization: float = REGULARIZATION,
    iterations: int = ITERATIONS,
    seed: int = 0,
) -> Factors:
    """Fit ALS on a users × items matrix of raw positive weights."""
    from implicit.cpu.als import AlternatingLeastSquares

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors, regularization=regularization, iterations=iterations, random_state=seed
        )
        model.fit(confidence(matrix), show_progress=False)
    return Factors(users=np.asarray(model.user_factors), items=np.asarray(model.item_factors))


def item_gram(item_factors: np.ndarray) -> np.ndarray:
    """YᵀY over every item (factors × factors): what ``user_vector_solve`` needs of the items a
    listener has not played, computed once per model."""
    factors = item_factors.astype(np.float64)
    return factors.T @ factors


def user_vector(
    item_factors: np.ndarray,
    item_rows: np.ndarray,
    weights: np.ndarray,
    *,
    regularization: float = REGULARIZATION,
) -> np.ndarray:
    """The ALS least-squares user vector for fixed item factors (no retrain); ``item_rows`` are
    the listener's items in ``item_factors``, one per weight."""
    return user_vector_solve(
        item_gram(item_factors), item_factors[item_rows], weights, regularization=regularization
    )


def user_vector_solve(
    gram: np.ndarray,
    observed: np.ndarray,
    weights: np.ndarray,
    *,
    regularization: float = REGULARIZATION,
) -> np.ndarray:
    """The ALS user vector from the model's ``item_gram`` and the factors of the listener's own
    items (``observed``, one row per weight): no other item factor is needed.

    Solves (YᵀY + Yᵀ(C − I)Y + λI) x = YᵀCp with p = 1 on the listener's items and confidence
    C = 1 + w (w already scaled, e.g. a log of the affinity). The Gram matrix YᵀY covers every
    item, so unobserved items count as weak negatives, exactly as in training.
    """
    factors = gram.shape[0]
    keep = weights > 0
    observed, confidences = observed[keep], 1.0 + weights[keep]
    if not len(observed):
        return np.zeros(factors, dtype=np.float32)
    left = gram + (observed.T * (confidences - 1.0)) @ observed + regularization * np.eye(factors)
    right = (observed * confidences[:, None]).sum(axis=0)
    return np.linalg.solve(left, right).astype(np.float32)


# --- offline evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    train: sparse.csr_matrix
    test: dict[int, set[int]]  # user row -> held-out item columns


def holdout_split(
    matrix: sparse.csr_matrix, *, fraction: float = 0.2, min_items: int = 5, seed: int = 0
) -> Split:
    """Hold out ``fraction`` of each user's items (users with at least ``min_items``)."""
    rng = np.random.default_rng(seed)
    matrix = matrix.tocsr()
    train = matrix.tolil(copy=True)
    test: dict[int, set[int]] = {}
    for user in range(matrix.shape[0]):
        items = matrix.indices[matrix.indptr[user] : matrix.indptr[user + 1]]
        if len(items) < min_items:
            continue
        held = rng.choice(items, size=max(1, int(round(fraction * len(items)))), replace=False)
        for item in held:
            train[user, item] = 0
        test[user] = {int(item) for item in held}
    train_csr = train.tocsr()
    train_csr.eliminate_zeros()
    return Split(train=train_csr, test=test)


def ranking_metrics(
    recommended: dict[int, np.ndarray], test: dict[int, set[int]], k: int
) -> tuple[float, float]:
    """Mean recall@k (hits / min(k, held-out)) and NDCG@k over the test users."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recalls, ndcgs = [], []
    for user, held in test.items():
        top = recommended[user][:k]
        hits = np.array([int(item) in held for item in top], dtype=float)
        recalls.append(hits.sum() / min(k, len(held)))
        ideal = discounts[: min(k, len(held))].sum()
        ndcgs.append(float((hits * discounts[: len(hits)]).sum() / ideal))
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def top_k_excluding(scores: np.ndarray, seen: np.ndarray, k: int) -> np.ndarray:
    scores = scores.copy()
    scores[seen] = -np.inf
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def recommend_popularity(train: sparse.csr_matrix, users: list[int], k: int) -> dict[int, np.ndarray]:
    popularity = np.asarray((train > 0).sum(axis=0)).ravel().astype(float)
    return {
        user: top_k_excluding(popularity, train.indices[train.indptr[user] : train.indptr[user + 1]], k)
        for user in users
    }


def recommend_factors(
    factors: Factors, train: sparse.csr_matrix, users: list[int], k: int
) -> dict[int, np.ndarray]:
    return {
        user: top_k_excluding(
            factors.items @ factors.users[user], train.indices[train.indptr[user] : train.indptr[user + 1]], k
        )
        for user in users
    }


def recommend_item_knn(
    train: sparse.csr_matrix, users: list[int], k: int, neighbours: int = 100
) -> dict[int, np.ndarray]:
    from implicit.nearest_neighbours import CosineRecommender

    model = CosineRecommender(K=neighbours)
    weighted = confidence(train)
    model.fit(weighted, show_progress=False)
    ids, _ = model.recommend(np.array(users), weighted[users], N=k, filter_already_liked_items=True)
    return {user: np.asarray(row) for user, row in zip(users, ids, strict=True)}
