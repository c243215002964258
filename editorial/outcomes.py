"""Listening outcome rates of generated playlists (no Django): one definition for every page.

The desk home (skip rate per prompt), the experiment results and the drift checks all use
``skip_rate``; nothing else divides skips by anything.
"""

from __future__ import annotations

import math


def skip_rate(*, skips: int, completions: int) -> float:
    """Skips over the plays that ended — skipped or completed — in [0, 1]; NaN when none ended.

    Plays still under way, abandoned without an outcome, or whose start a client never sent
    (play starts are optional and autoplay sends them for everything) do not count either way.
    """
    ended = skips + completions
    return skips / ended if ended else math.nan
