"""Drift between a reference window and a recent one (no Django): population stability index,
embedding distribution shift (centroid cosine shift and MMD), new prompt clusters, rate trends.

Each check returns a DriftCheck with its value, the threshold it was held to and whether it
raised an alert; the report service stores them and the panel shows them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

PSI_EPSILON = 1e-4
MMD_MAX_SAMPLES = 400


@dataclass(frozen=True)
class DriftThresholds:
    psi: float = 0.25  # the usual "significant shift" line for PSI
    embedding_shift: float = 0.05  # 1 - cosine between the two windows' mean prompt embeddings
    mmd: float = 0.05
    novelty_similarity: float = 0.5  # a recent prompt below this cosine to every reference one is new
    cluster_similarity: float = 0.7
    new_cluster_min_size: int = 3
    rate_increase: float = 0.05  # absolute rise of the skip rate (or fall of completion) that alerts
    min_samples: int = 20  # fewer observations in either window: reported, never alerted on


@dataclass
class DriftCheck:
    name: str
    value: float | None
    threshold: float
    alert: bool
    detail: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "alert": self.alert,
            "detail": self.detail,
            "extra": self.extra,
        }


def psi(
    reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray, *, bins: int = 10
) -> float:
    """Population stability index over the reference window's quantile bins."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if ref.size == 0 or cur.size == 0:
        return math.nan
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_share = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1) / ref.size
    cur_share = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1) / cur.size
    ref_share = np.clip(ref_share, PSI_EPSILON, None)
    cur_share = np.clip(cur_share, PSI_EPSILON, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def centroid_shift(reference: np.ndarray, current: np.ndarray) -> float:
    """1 - cosine similarity of the two windows' mean embeddings (0: same direction)."""
    a, b = reference.mean(axis=0), current.mean(axis=0)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return 1.0 - float(a @ b) / norm if norm else math.nan


def mmd_rbf(reference: np.ndarray, current: np.ndarray, *, seed: int = 0) -> float:
    """Squared maximum mean discrepancy with an RBF kernel (median-distance bandwidth), on at most
    MMD_MAX_SAMPLES rows of each window (unbiased within-window terms)."""
    rng = np.random.default_rng(seed)
    x = reference[rng.permutation(len(reference))[:MMD_MAX_SAMPLES]].astype(float)
    y = current[rng.permutation(len(current))[:MMD_MAX_SAMPLES]].astype(float)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    joined = np.vstack([x, y])
    squared = np.sum(joined**2, axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * joined @ joined.T, 0.0)
    median = float(np.median(distances[np.triu_indices(len(joined), k=1)]))
    kernel = np.exp(-distances / (median or 1.0))
    m = len(x)
    kxx, kyy, kxy = kernel[:m, :m], kernel[m:, m:], kernel[:m, m:]
    n = len(y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * kxy.mean())


@dataclass(frozen=True)
class PromptCluster:
    size: int
    examples: tuple[str, ...]


def new_prompt_clusters(
    reference: np.ndarray, current: np.ndarray, texts: Sequence[str], *, thresholds: DriftThresholds
) -> list[PromptCluster]:
    """Groups of recent prompts unlike anything in the reference window (unit-length rows).

    A recent prompt whose best cosine to the reference is below ``novelty_similarity`` is new;
    new prompts are grouped by leader clustering at ``cluster_similarity``; groups of at least
    ``new_cluster_min_size`` are returned, largest first.
    """
    if len(current) == 0:
        return []
    best = (current @ reference.T).max(axis=1) if len(reference) else np.full(len(current), -1.0)
    novel = [row for row in range(len(current)) if best[row] < thresholds.novelty_similarity]
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for row in novel:
        similarities = [float(current[row] @ current[leader]) for leader in leaders]
        if similarities and max(similarities) >= thresholds.cluster_similarity:
            members[leaders[int(np.argmax(similarities))]].append(row)
        else:
            leaders.append(row)
            members[row] = [row]
    clusters = [
        PromptCluster(len(rows), tuple(texts[row] for row in rows[:3]))
        for rows in members.values()
        if len(rows) >= thresholds.new_cluster_min_size
    ]
    return sorted(clusters, key=lambda cluster: -cluster.size)


def psi_check(
    name: str,
    reference: Sequence[float] | np.ndarray,
    current: Sequence[float] | np.ndarray,
    *,
    thresholds: DriftThresholds,
) -> DriftCheck:
    n_ref, n_cur = len(reference), len(current)
    if min(n_ref, n_cur) < thresholds.min_samples:
        return DriftCheck(
            name, None, thresholds.psi, False, f"too few values ({n_ref} reference, {n_cur} recent)"
        )
    value = psi(reference, current)
    return DriftCheck(
        name, value, thresholds.psi, value > thresholds.psi, f"PSI over {n_ref} / {n_cur} values"
    )


def embedding_checks(
    reference: np.ndarray, current: np.ndarray, texts: Sequence[str], *, thresholds: DriftThresholds
) -> list[DriftCheck]:
    """Prompt-mix checks: centroid shift, MMD and new clusters of recent prompts."""
    if min(len(reference), len(current)) < thresholds.min_samples:
        detail = f"too few prompts ({len(reference)} reference, {len(current)} recent)"
        return [DriftCheck("prompt embedding shift", None, thresholds.embedding_shift, False, detail)]
    shift = centroid_shift(reference, current)
    mmd = mmd_rbf(reference, current)
    clusters = new_prompt_clusters(reference, current, texts, thresholds=thresholds)
    return [
        DriftCheck(
            "prompt embedding shift",
            shift,
            thresholds.embedding_shift,
            shift > thresholds.embedding_shift,
            "1 - cosine of the windows' mean prompt embeddings",
        ),
        DriftCheck(
            "prompt MMD", mmd, thresholds.mmd, mmd > thresholds.mmd, "RBF-kernel maximum mean discrepancy"
        ),
        DriftCheck(
            "new prompt clusters",
            float(len(clusters)),
            float(thresholds.new_cluster_min_size),
            bool(clusters),
            f"groups of ≥{thresholds.new_cluster_min_size} recent prompts unlike the reference window",
            {"clusters": [{"size": c.size, "examples": list(c.examples)} for c in clusters]},
        ),
    ]


def rate_check(
    name: str,
    reference: Sequence[float] | np.ndarray,
    current: Sequence[float] | np.ndarray,
    *,
    thresholds: DriftThresholds,
    higher_is_worse: bool,
) -> DriftCheck:
    """Alert when the mean rate moved the bad way by more than ``rate_increase`` (absolute)."""
    n_ref, n_cur = len(reference), len(current)
    if min(n_ref, n_cur) < thresholds.min_samples:
        return DriftCheck(
            name, None, thresholds.rate_increase, False, f"too few playlists ({n_ref} / {n_cur})"
        )
    change = float(np.mean(current) - np.mean(reference))
    worse = change if higher_is_worse else -change
    return DriftCheck(
        name,
        change,
        thresholds.rate_increase,
        worse > thresholds.rate_increase,
        f"{np.mean(reference):.3f} → {np.mean(current):.3f}",
    )
