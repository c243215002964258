"""What puts a generated playlist in the review queue (pure: no Django).

- parse confidence: the mean confidence of the pieces the parser extracted from the prompt
  (include tags and feature ranges); a prompt it understood nothing of counts as 0.
- rising prompts: asked for clearly more often in the recent window than the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


def intent_confidence(intent: Mapping[str, Any]) -> float:
    """Mean confidence of the parsed pieces of an Intent (``Intent.to_dict()``), 0..1."""
    confidences = [float(tag.get("confidence", 1.0)) for tag in intent.get("include_tags", [])]
    confidences += [float(spec.get("confidence", 1.0)) for spec in intent.get("feature_ranges", {}).values()]
    hard = bool(intent.get("exclude_tags") or intent.get("exclude_artists") or intent.get("seed_artists"))
    if not confidences:
        return 1.0 if hard else 0.0
    return float(np.mean(confidences))


def prompt_key(prompt: str) -> str:
    """Prompts that differ only in case and spacing are the same prompt."""
    return " ".join(prompt.lower().split())


@dataclass(frozen=True)
class Rising:
    prompt: str
    recent: int
    earlier: int
    ratio: float


def rising_prompts(
    recent: Mapping[str, int],
    earlier: Mapping[str, int],
    *,
    window_ratio: float,
    min_count: int,
    min_growth: float,
) -> list[Rising]:
    """Prompts whose recent rate is at least ``min_growth`` times their earlier rate.

    ``window_ratio`` is the earlier window's length over the recent one's, so rates compare
    fairly; a prompt never seen before counts as growing from half a request.
    """
    found = []
    for prompt, count in recent.items():
        if count < min_count:
            continue
        earlier_rate = max(earlier.get(prompt, 0), 0.5) / window_ratio
        ratio = count / earlier_rate
        if ratio >= min_growth:
            found.append(Rising(prompt, count, earlier.get(prompt, 0), round(ratio, 2)))
    return sorted(found, key=lambda rising: (-rising.ratio, rising.prompt))
