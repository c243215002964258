"""Simulated listeners react to generated playlists: does the bandit lower the skip rate against
a fixed policy over repeated sessions? (No Django imports: arrays in, curves out.)

Listeners come from real playlists (the Spotify set's named playlists): a listener's hidden
taste is the audio-feature centroid of one playlist's tracks, their liking for popular music is
that playlist's mean track popularity, and they always ask for that playlist's genre. Neither
the bandit nor the ranker sees any of this; they see only skips and completions.

A session: 300 candidate tracks of the genre; each policy (a weight preset) ranks them by the
engine's components — prompt fit (closeness to the genre's centroid), learned taste (closeness
to the centroid of what this listener completed so far), popularity and discovery (not heard
before) — and serves the top 20. The listener skips a track with probability
sigmoid((distance to their taste + popularity mismatch + fatigue for a repeat − threshold) / τ),
else completes it. The same listeners, pools and random draws serve both arms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedback.learning import bandit

PLAYLIST_SIZE = 20
POOL_SIZE = 300
REPEAT_FATIGUE = 0.25
SKIP_THRESHOLD = 0.55
SKIP_TEMPERATURE = 0.12
POPULARITY_SENSITIVITY = 0.6


@dataclass(frozen=True)
class Catalog:
    features: np.ndarray  # (n, d) scaled to 0..1
    popularity: np.ndarray  # (n,) 0..1
    genre: np.ndarray  # (n,) genre index


@dataclass(frozen=True)
class Listener:
    taste: np.ndarray  # (d,) hidden
    popularity: float  # hidden preferred popularity 0..1
    genre: int


@dataclass
class _State:
    heard: set[int]
    completed_sum: np.ndarray
    completed: int
    counts: dict[str, bandit.ArmCounts]


def _components(
    catalog: Catalog, pool: np.ndarray, genre_centroid: np.ndarray, state: _State
) -> dict[str, np.ndarray]:
    features = catalog.features[pool]
    prompt_fit = np.exp(-np.linalg.norm(features - genre_centroid, axis=1) * 3)
    if state.completed:
        profile = state.completed_sum / state.completed
        taste = np.exp(-np.linalg.norm(features - profile, axis=1) * 3)
    else:
        taste = np.zeros(len(pool))
    heard = np.array([int(track) in state.heard for track in pool], dtype=float)
    return {
        "semantic": prompt_fit,
        "taste": taste,
        "popularity": catalog.popularity[pool],
        "discovery": 1.0 - heard,
    }


def _rank(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    total = sum(weights.get(name, 0.0) * values for name, values in components.items())
    return np.argsort(-np.asarray(total))[:PLAYLIST_SIZE]


def _react(
    catalog: Catalog, listener: Listener, tracks: np.ndarray, state: _State, noise: np.ndarray
) -> np.ndarray:
    """True where the listener skips."""
    distance = np.linalg.norm(catalog.features[tracks] - listener.taste, axis=1)
    mismatch = POPULARITY_SENSITIVITY * np.abs(catalog.popularity[tracks] - listener.popularity)
    fatigue = REPEAT_FATIGUE * np.array([int(track) in state.heard for track in tracks], dtype=float)
    probability = 1.0 / (1.0 + np.exp(-(distance + mismatch + fatigue - SKIP_THRESHOLD) / SKIP_TEMPERATURE))
    return noise < probability


def simulate(
    catalog: Catalog,
    listeners: list[Listener],
    *,
    sessions: int,
    adaptive: bool,
    fixed_policy: str = bandit.DEFAULT_POLICY,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, int]]:
    """Skip rate per session index (mean over listeners), and how often each policy was played.

    ``adaptive``: Thompson sampling per listener on a global prior (updated as sessions
    happen, listeners taking turns); else ``fixed_policy`` every time.
    """
    rng = np.random.default_rng(seed)
    genres = np.unique(catalog.genre)
    by_genre = {int(genre): np.flatnonzero(catalog.genre == genre) for genre in genres}
    centroids = {int(genre): catalog.features[rows].mean(axis=0) for genre, rows in by_genre.items()}
    # Pools and reaction noise are drawn up front so both arms see the same world.
    pools = [
        [
            rng.choice(
                by_genre[listener.genre], size=min(POOL_SIZE, len(by_genre[listener.genre])), replace=False
            )
            for listener in listeners
        ]
        for _ in range(sessions)
    ]
    noise = rng.random((sessions, len(listeners), PLAYLIST_SIZE))
    choice_rng = np.random.default_rng(seed + 1)
    dimensions = catalog.features.shape[1]
    states = [_State(set(), np.zeros(dimensions), 0, {}) for _ in listeners]
    global_counts: dict[str, bandit.ArmCounts] = {}
    skip_rate = np.zeros(sessions)
    played: dict[str, int] = dict.fromkeys(bandit.POLICIES, 0)
    for session in range(sessions):
        skipped_total = 0
        served_total = 0
        for index, listener in enumerate(listeners):
            state = states[index]
            if adaptive:
                policy = bandit.choose(
                    global_counts=global_counts, user_counts=state.counts, rng=choice_rng
                ).policy
            else:
                policy = fixed_policy
            played[policy] += 1
            pool = pools[session][index]
            chosen = pool[
                _rank(_components(catalog, pool, centroids[listener.genre], state), bandit.POLICIES[policy])
            ]
            skips = _react(catalog, listener, chosen, state, noise[session, index, : len(chosen)])
            skipped_total += int(skips.sum())
            served_total += len(chosen)
            completes = chosen[~skips]
            state.completed_sum += catalog.features[completes].sum(axis=0)
            state.completed += len(completes)
            state.heard.update(int(track) for track in chosen)
            successes, failures = float(len(completes)), float(skips.sum())
            for counts in (state.counts, global_counts):
                old = counts.get(policy, bandit.ArmCounts())
                counts[policy] = bandit.ArmCounts(old.successes + successes, old.failures + failures)
        skip_rate[session] = skipped_total / served_total
    return skip_rate, played
