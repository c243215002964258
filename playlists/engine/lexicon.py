"""The mood / activity / character lexicon prompts are matched against (no Django imports).

Each entry is a label the listener sees as a chip, several phrasings that are embedded (so an
unseen phrasing lands on the nearest entry by cosine similarity), and what it means: soft
audio-feature ranges and, for genre aliases, hints resolved to the catalog's own tags. The
entries (and the foreign, arc and artist-style phrase tables) are data in
``playlists/engine/data/lexicon.toml``; this module reads them and holds the rules around them.
Ranges sit a little inside the natural cut-offs (e.g. "happy" is valence >= 0.65 rather than
0.6) so tracks chosen for fitting them fit with a margin.

Where the ranges come from: what the words mean and Spotify's own definitions of the audio
features, checked against the catalog's distribution (the 32,833-track Spotify songs CSV the
catalog imports; deciles measured once with numpy, written down here, not read at run time):

- energy 0..1, "perceptual measure of intensity and activity": 10/25/50/75/90 % at
  0.45/0.58/0.72/0.84/0.92. Low energy is the bottom quarter or so (<= 0.45), high >= 0.75.
- valence 0..1, "musical positiveness": 0.19/0.33/0.51/0.69/0.83. Sad <= 0.28, happy >= 0.65.
- danceability: 0.46/0.56/0.67/0.76/0.83. Danceable >= 0.72 (top third).
- acousticness, a confidence 0..1: 0.002/0.015/0.08/0.26/0.52 — most tracks are electronic or
  amplified, so "acoustic" is >= 0.55 (top decile) and "electronic" <= 0.1 (below the median).
- instrumentalness: Spotify: "values above 0.5 are intended to represent instrumental tracks";
  90 % are below 0.35 and the median is 0, so instrumental >= 0.55, "with vocals" <= 0.1.
- liveness: Spotify: "a value above 0.8 provides strong likelihood that the track is live";
  only 1 % are; live >= 0.8.
- speechiness: Spotify: 0.33..0.66 "both music and speech (e.g. rap)", above 0.66 spoken word.
- loudness dB: -10.7/-8.2/-6.2/-4.6/-3.5. Loud >= -6 (above the median), quiet <= -10 (bottom
  decile).
- tempo BPM: 89/100/122/134/160. Slow <= 100 (bottom quarter), fast >= 135 (top quarter).
- popularity 0..100: 2/24/45/62/74. Hits >= 62 (top quarter), deep cuts <= 35.
- mode: 1 major, 0 minor (57 % major).
- duration: 163/188/216/254/300 s. Short <= 175 s, long >= 300 s (top decile).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LexiconEntry:
    label: str
    kind: str  # "mood", "activity", "character", "genre"
    phrases: tuple[str, ...]
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    # How much each range counts, 0..1 (a secondary meaning weighs less).
    range_weights: dict[str, float] = field(default_factory=dict)
    tag_hints: tuple[str, ...] = ()
    arc: str | None = None


# The vocabulary itself (entries, foreign phrases, arc phrases, artist styles) is data:
# playlists/engine/data/lexicon.toml. Read once at import; a malformed file fails loudly here.
DATA_FILE = Path(__file__).resolve().parent / "data" / "lexicon.toml"


def _tables() -> dict[str, Any]:
    with DATA_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _entry(table: dict[str, Any], foreign: tuple[str, ...]) -> LexiconEntry:
    """One [[entries]] table: its label is its first phrase, its foreign phrases its last."""
    known = {"label", "kind", "phrases", "ranges", "weights", "tags"}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"{DATA_FILE}: entry {table.get('label')!r} has unknown keys {sorted(unknown)}")
    label = str(table["label"])
    return LexiconEntry(
        label=label,
        kind=str(table["kind"]),
        phrases=(label, *table.get("phrases", ()), *foreign),
        ranges={feature: (low, high) for feature, (low, high) in table.get("ranges", {}).items()},
        range_weights=dict(table.get("weights", {})),
        tag_hints=tuple(table.get("tags", ())),
    )


_TABLES = _tables()
FOREIGN_PHRASES: dict[str, tuple[str, ...]] = {
    label: tuple(phrases) for label, phrases in _TABLES["foreign_phrases"].items()
}
LEXICON: tuple[LexiconEntry, ...] = tuple(
    _entry(table, FOREIGN_PHRASES.get(table["label"], ())) for table in _TABLES["entries"]
)
ARC_PHRASES: dict[str, tuple[str, ...]] = {
    arc: tuple(phrases) for arc, phrases in _TABLES["arc_phrases"].items()
}
ARTIST_STYLES: dict[str, tuple[str, ...]] = {
    artist: tuple(tags) for artist, tags in _TABLES["artist_styles"].items()
}


def tag_hint_names(lexicon: Sequence[LexiconEntry] = LEXICON) -> list[str]:
    """The genre words lexicon entries and artist styles point to (resolved to catalog tags)."""
    return sorted(
        {hint for entry in lexicon for hint in entry.tag_hints}
        | {hint for styles in ARTIST_STYLES.values() for hint in styles}
    )


# Named energy arcs (their keyword phrases, matched literally, are ARC_PHRASES) -> target energy
# at start and end.
ENERGY_ARCS: dict[str, tuple[float, float]] = {
    "ramp_up": (0.35, 0.9),
    "ramp_down": (0.85, 0.25),
    "peak": (0.4, 0.4),  # rises to a peak in the middle
    "steady": (0.6, 0.6),
}


# Explicit antonyms: similarity picks a concept, these make sure its direction is the one the
# words say ("low energy" never lands on "energetic").
_ANTONYM_PAIRS = (
    ("happy", "sad"),
    ("chill", "energetic"),
    ("slow", "fast"),
    ("quiet", "loud"),
    ("acoustic", "electronic"),
    ("vocal", "instrumental"),
    ("dark", "bright"),
    ("hits", "deep cuts"),
    ("major key", "minor key"),
    ("short", "long"),
    ("live", "studio"),
)
# Characters with two sides only: "not acoustic" means electronic (moods are graded: "not sad"
# keeps clear of sad without asking for happy).
BINARY_CHARACTERS = frozenset(
    {"acoustic", "electronic", "vocal", "instrumental", "major key", "minor key", "live", "studio"}
)
ANTONYMS: dict[str, str] = {
    **{first: second for first, second in _ANTONYM_PAIRS},
    **{second: first for first, second in _ANTONYM_PAIRS},
}

# The scale of each feature (Spotify's definitions; the catalog's units).
FEATURE_SCALES: dict[str, tuple[float, float]] = {
    "tempo": (0.0, 250.0),
    "popularity": (0.0, 100.0),
    "loudness": (-60.0, 5.0),
    "mode": (0.0, 1.0),
    "duration_ms": (0.0, 3_600_000.0),
    "release_year": (1900.0, 2100.0),
}

# "low energy", "lots of vocals": a direction named with the feature itself (see the deciles in
# the module docstring). "vocals" is the inverse of instrumentalness.
DIRECTION_RANGES: dict[tuple[str, str], tuple[str, tuple[float, float]]] = {
    ("energy", "low"): ("energy", (0.0, 0.45)),
    ("energy", "high"): ("energy", (0.75, 1.0)),
    ("tempo", "low"): ("tempo", (0.0, 100.0)),
    ("tempo", "high"): ("tempo", (135.0, 250.0)),
    ("valence", "low"): ("valence", (0.0, 0.33)),
    ("valence", "high"): ("valence", (0.65, 1.0)),
    ("danceability", "low"): ("danceability", (0.0, 0.56)),
    ("danceability", "high"): ("danceability", (0.72, 1.0)),
    ("popularity", "low"): ("popularity", (0.0, 35.0)),
    ("popularity", "high"): ("popularity", (62.0, 100.0)),
    ("loudness", "low"): ("loudness", (-60.0, -10.0)),
    ("loudness", "high"): ("loudness", (-6.0, 5.0)),
    ("acousticness", "low"): ("acousticness", (0.0, 0.1)),
    ("acousticness", "high"): ("acousticness", (0.55, 1.0)),
    ("vocals", "low"): ("instrumentalness", (0.55, 1.0)),
    ("vocals", "high"): ("instrumentalness", (0.0, 0.1)),
}
# "medium tempo", "moderate energy", "not too fast, not too slow": between the two ends above.
DIRECTION_RANGES.update(
    {
        (feature, "mid"): (column, (DIRECTION_RANGES[(feature, "low")][1][1], high[0]))
        for (feature, side), (column, high) in list(DIRECTION_RANGES.items())
        if side == "high" and feature != "vocals"
    }
)


def direction_range(feature: str, side: str) -> tuple[str, tuple[float, float]]:
    return DIRECTION_RANGES[(feature, side)]


def entry_direction(entry: LexiconEntry) -> str | None:
    """ "high" or "low": which end of its first feature's scale an entry asks for, if one end."""
    for feature, (low, high) in entry.ranges.items():
        scale_low, scale_high = FEATURE_SCALES.get(feature, (0.0, 1.0))
        if low <= scale_low and high < scale_high:
            return "low"
        if high >= scale_high and low > scale_low:
            return "high"
        return None
    return None


# "very calm" pulls a range's inner edge a tenth of the scale further toward its end; "a bit
# calm" lets it out by as much.
INTENSITY_STEPS = {"strong": 0.1, "mild": -0.05}


def intensified(feature: str, low: float, high: float, level: str | None) -> tuple[float, float]:
    if level is None:
        return low, high
    scale_low, scale_high = FEATURE_SCALES.get(feature, (0.0, 1.0))
    step = (scale_high - scale_low) * INTENSITY_STEPS[level]
    if low <= scale_low < high < scale_high:
        return low, round(min(max(high - step, scale_low + abs(step)), scale_high), 3)
    if scale_low < low < high and high >= scale_high:
        return round(max(min(low + step, scale_high - abs(step)), scale_low), 3), high
    return low, high
