"""The demo catalog's tables, read from ``catalog/demo_data/*.toml`` into typed, frozen shapes.

The generator's vocabulary, genre profiles and tag rules are data, not code: a person tuning the
demo catalog edits a TOML file and reads no drawing logic. This module only parses and checks
them; ``catalog.demo`` draws from them. Standard library only: no Django, no settings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

DATA_DIR = Path(__file__).resolve().parent / "demo_data"

Range = tuple[float, float]


class Normal(NamedTuple):
    mean: float
    spread: float  # standard deviation


@dataclass(frozen=True)
class Era:
    """Years a style was recorded in; most releases fall near ``peak``."""

    first: int
    peak: int
    last: int


@dataclass(frozen=True)
class Subgenre:
    name: str
    # Only what differs from the parent genre; everything else is inherited.
    features: dict[str, Normal] = field(default_factory=dict)
    era: Era | None = None
    minutes: Normal | None = None
    explicit_share: float | None = None
    instruments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Genre:
    name: str
    weight: float  # relative share of artists
    features: dict[str, Normal]
    era: Era
    minutes: Normal
    subgenres: tuple[Subgenre, ...]
    instruments: tuple[str, ...]
    artist_patterns: tuple[str, ...]
    major_share: float = 0.6
    explicit_share: float = 0.0
    guest_share: float = 0.03  # tracks with a featured second artist
    live_share: float = 0.03  # tracks recorded live
    title_patterns: tuple[str, ...] = ()  # added to the song title patterns
    album_patterns: tuple[str, ...] = ()  # replace the album patterns when given
    numbered_works: bool = False  # titles name a form, number and key, like classical works
    lowercase: bool = False  # artist names and titles written in lower case


@dataclass(frozen=True)
class Style:
    """A genre with one of its subgenres applied: what a track is actually drawn from."""

    genre: Genre
    subgenre: str
    features: dict[str, Normal]
    era: Era
    minutes: Normal
    explicit_share: float
    signature_instruments: tuple[str, ...]
    instruments: tuple[str, ...]


@dataclass(frozen=True)
class Words:
    """words.toml: placeholder word lists and the name/title patterns that use them."""

    slots: dict[str, tuple[str, ...]]  # placeholder -> words, e.g. "adj" -> ("Velvet", ...)
    artist_names: dict[str, tuple[str, ...]]  # pattern set -> artist-name patterns
    song_titles: tuple[str, ...]
    album_titles: tuple[str, ...]
    titles: dict[str, tuple[str, ...]]  # every title pattern set by name, for genres to refer to
    forms: tuple[str, ...]
    keys: tuple[str, ...]
    movements: tuple[str, ...]
    tempo_markings: tuple[tuple[float, str], ...]  # (upper tempo bound, marking), slowest first
    fastest_marking: str


@dataclass(frozen=True)
class Tags:
    """tags.toml: which mood, theme and other tags a track's features earn."""

    moods: tuple[tuple[str, Range, Range], ...]  # (mood, valence range, energy range)
    themes: dict[str, dict[str, Range]]
    theme_moods: dict[str, str]
    other: dict[str, dict[str, Range]]


@dataclass(frozen=True)
class Genres:
    """genres.toml: genre profiles, who features on whose tracks, electric instruments."""

    genres: tuple[Genre, ...]
    guest_genres: dict[str, tuple[str, ...]]
    electric_instruments: frozenset[str]
    acoustic_cutoff: float


def _read(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open("rb") as handle:
        return tomllib.load(handle)


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def _range(pair: Any) -> Range:
    low, high = pair
    return (low, high)


def _ranges(table: Mapping[str, Any]) -> dict[str, Range]:
    return {name: _range(pair) for name, pair in table.items()}


def _normals(table: Mapping[str, Any]) -> dict[str, Normal]:
    return {name: Normal(*pair) for name, pair in table.items()}


def _era(values: Any) -> Era:
    first, peak, last = values
    return Era(first, peak, last)


@cache
def load_words() -> Words:
    data = _read("words.toml")
    titles = {name: _strings(patterns) for name, patterns in data["titles"].items()}
    works = data["works"]
    return Words(
        slots={slot: _strings(words) for slot, words in data["words"].items()},
        artist_names={name: _strings(patterns) for name, patterns in data["artist_names"].items()},
        song_titles=titles["song"],
        album_titles=titles["album"],
        titles=titles,
        forms=_strings(works["forms"]),
        keys=_strings(works["keys"]),
        movements=_strings(works["movements"]),
        tempo_markings=tuple((upper, str(marking)) for upper, marking in works["tempo_markings"]),
        fastest_marking=str(works["fastest_marking"]),
    )


def _subgenre(table: Mapping[str, Any]) -> Subgenre:
    return Subgenre(
        name=table["name"],
        features=_normals(table.get("features", {})),
        era=_era(table["era"]) if "era" in table else None,
        minutes=Normal(*table["minutes"]) if "minutes" in table else None,
        explicit_share=table.get("explicit_share"),
        instruments=_strings(table.get("instruments", ())),
    )


def _genre(table: Mapping[str, Any], words: Words) -> Genre:
    # Genre(**rest) refuses a misspelt key loudly instead of silently using a default.
    rest = {
        key: value
        for key, value in table.items()
        if key
        not in {"features", "era", "minutes", "subgenres", "instruments", "artist_patterns", "album_patterns"}
    }
    if "title_patterns" in rest:
        rest["title_patterns"] = _strings(rest["title_patterns"])
    album_set = table.get("album_patterns")
    return Genre(
        features=_normals(table["features"]),
        era=_era(table["era"]),
        minutes=Normal(*table["minutes"]),
        subgenres=tuple(_subgenre(subgenre) for subgenre in table["subgenres"]),
        instruments=_strings(table["instruments"]),
        # A pattern set named twice weighs double in the draw.
        artist_patterns=tuple(
            pattern for name in table["artist_patterns"] for pattern in words.artist_names[name]
        ),
        album_patterns=words.titles[album_set] if album_set else (),
        **rest,
    )


@cache
def load_genres() -> Genres:
    data = _read("genres.toml")
    words = load_words()
    instruments = data["instruments"]
    return Genres(
        genres=tuple(_genre(table, words) for table in data["genres"]),
        guest_genres={name: _strings(guests) for name, guests in data["guest_genres"].items()},
        electric_instruments=frozenset(_strings(instruments["electric"])),
        acoustic_cutoff=instruments["acoustic_cutoff"],
    )


@cache
def load_tags() -> Tags:
    data = _read("tags.toml")
    return Tags(
        moods=tuple(
            (mood, _range(valence), _range(energy)) for mood, (valence, energy) in data["moods"].items()
        ),
        themes={theme: _ranges(ranges) for theme, ranges in data["themes"].items()},
        theme_moods={theme: str(mood) for theme, mood in data["theme_moods"].items()},
        other={name: _ranges(ranges) for name, ranges in data["other"].items()},
    )
