"""Sample prompts the benchmarks and the encoder export share (no Django imports)."""

from __future__ import annotations

# Varied on purpose: moods, activities, genres, numbers, eras, negations, arcs, other languages.
BENCH_PROMPTS = (
    "relaxing evening jazz",
    "upbeat songs for a morning run",
    "sad breakup songs",
    "90s hip hop but no gangsta rap",
    "30-minute 5K run, easing into calm songs at the end",
    "dinner party with friends",
    "songs over 140 bpm for spinning",
    "chilled-out electronic music to study",
    "classic rock from the 70s without the Eagles",
    "música alegre para bailar",
    "romantic slow dance",
    "aggressive metal for the gym",
    "summer road trip singalongs",
    "instrumental focus music, nothing sad",
    "an hour of mellow acoustic indie",
    "latin party hits from 2015",
    "late night quiet storm",
    "songs under three minutes",
    "dark moody trap",
    "feel-good 80s pop",
)
