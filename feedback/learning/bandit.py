"""Thompson sampling over ranking policies, per listener with a global prior (no Django imports).

Each policy is a preset of the engine's score weights. A listener's belief about a policy is a
Beta distribution: the global counts (all listeners), shrunk to at most ``PRIOR_STRENGTH``
pseudo-observations, plus the listener's own counts. A new listener therefore starts from what
works for everyone and moves toward what works for them as their own feedback accumulates.

Rewards are fractional successes: every feedback event on a version the policy built adds its
positive weight to ``successes`` (complete, like, save, replay) or to ``failures`` (early skip,
dislike, remove; a late skip counts half).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

# Weight presets (names of playlists.engine.scoring.Weights fields). "balanced" is the engine default.
POLICIES: dict[str, dict[str, float]] = {
    "balanced": {
        "semantic": 1.0,
        "feature_fit": 2.0,
        "tag_match": 2.0,
        "taste": 1.0,
        "popularity": 0.15,
        "discovery": 0.3,
    },
    "familiar": {
        "semantic": 1.0,
        "feature_fit": 2.0,
        "tag_match": 2.0,
        "taste": 2.0,
        "popularity": 0.4,
        "discovery": 0.0,
    },
    "discovery": {
        "semantic": 1.0,
        "feature_fit": 2.0,
        "tag_match": 2.0,
        "taste": 0.6,
        "popularity": 0.0,
        "discovery": 1.0,
    },
    "prompt-first": {
        "semantic": 1.6,
        "feature_fit": 2.5,
        "tag_match": 2.5,
        "taste": 0.3,
        "popularity": 0.15,
        "discovery": 0.3,
    },
}
DEFAULT_POLICY = "balanced"
PRIOR_STRENGTH = 10.0  # the global prior counts as at most this many observations
BASE_PRIOR = (1.0, 1.0)  # uniform Beta before anything is known
PROPENSITY_DRAWS = 2000

REWARD_WEIGHTS: dict[str, tuple[float, float]] = {
    # kind -> (successes, failures)
    "complete": (1.0, 0.0),
    "like": (1.0, 0.0),
    "save": (1.0, 0.0),
    "replay": (0.5, 0.0),
    "early_skip": (0.0, 1.0),
    "late_skip": (0.0, 0.5),
    "dislike": (0.0, 1.0),
    "remove": (0.0, 1.0),
}


@dataclass(frozen=True)
class ArmCounts:
    successes: float = 0.0
    failures: float = 0.0


@dataclass(frozen=True)
class Choice:
    policy: str
    propensity: float  # probability that Thompson sampling picks this policy, in (0, 1]


def posterior(global_counts: ArmCounts, user_counts: ArmCounts) -> tuple[float, float]:
    """Beta(alpha, beta) for one policy: the shrunk global prior plus the listener's counts."""
    total = global_counts.successes + global_counts.failures
    shrink = min(1.0, PRIOR_STRENGTH / total) if total > 0 else 0.0
    alpha = BASE_PRIOR[0] + shrink * global_counts.successes + user_counts.successes
    beta = BASE_PRIOR[1] + shrink * global_counts.failures + user_counts.failures
    return alpha, beta


def _parameters(
    policies: list[str], global_counts: Mapping[str, ArmCounts], user_counts: Mapping[str, ArmCounts]
) -> tuple[np.ndarray, np.ndarray]:
    pairs = [
        posterior(global_counts.get(name, ArmCounts()), user_counts.get(name, ArmCounts()))
        for name in policies
    ]
    return np.array([pair[0] for pair in pairs]), np.array([pair[1] for pair in pairs])


def choose(
    *,
    global_counts: Mapping[str, ArmCounts],
    user_counts: Mapping[str, ArmCounts],
    rng: np.random.Generator,
    policies: list[str] | None = None,
) -> Choice:
    """Thompson sampling: draw once from each posterior, play the best; log its propensity."""
    names = policies or list(POLICIES)
    alpha, beta = _parameters(names, global_counts, user_counts)
    chosen = int(np.argmax(rng.beta(alpha, beta)))
    probabilities = selection_probabilities(alpha, beta, rng=rng)
    # A policy that was chosen has a positive probability even if the Monte Carlo missed it.
    propensity = max(float(probabilities[chosen]), 1.0 / PROPENSITY_DRAWS)
    return Choice(policy=names[chosen], propensity=min(1.0, propensity))


def selection_probabilities(alpha: np.ndarray, beta: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """P(each arm has the highest draw), by Monte Carlo over ``PROPENSITY_DRAWS`` draws."""
    draws = rng.beta(alpha[None, :], beta[None, :], size=(PROPENSITY_DRAWS, len(alpha)))
    wins = np.bincount(np.argmax(draws, axis=1), minlength=len(alpha))
    return wins / PROPENSITY_DRAWS


def greedy(*, counts: Mapping[str, ArmCounts], policies: list[str] | None = None) -> str:
    """The policy with the best posterior mean (no exploration): used without experiments consent."""
    names = policies or list(POLICIES)
    alpha, beta = _parameters(names, counts, {})
    return names[int(np.argmax(alpha / (alpha + beta)))]


def reward_counts(kind: str) -> tuple[float, float]:
    """(successes, failures) one feedback event adds to the policy that built its version."""
    return REWARD_WEIGHTS.get(kind, (0.0, 0.0))
