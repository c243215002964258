"""A made-up demo catalog: a few thousand tracks whose genres, tags and audio features agree.

No real data file may ship with the project, so every name, title and number here is invented
from the word lists and per-genre distributions in ``catalog/demo_data/`` (read by
``catalog.demo_tables``); this module holds the drawing. Every album ends in " (demo)", every id
starts with "demo-" and the import source is ``DEMO_SOURCE``, so the tracks read as demo data
wherever they show.

Rows use the importer's canonical field names (``catalog.importing.CANONICAL_FIELDS``) and go
through the same validation as an imported file. Standard library only: no Django, no settings.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from catalog.demo_tables import Genre, Style, Subgenre, load_genres, load_tags, load_words
from catalog.features import UNIT_FEATURES

DEMO_SOURCE = "demo"
DEMO_ALBUM_SUFFIX = " (demo)"
FIRST_YEAR, LAST_YEAR = 1960, 2025

# Narrower than the importer's ranges on purpose: real tracks rarely leave these bounds.
FEATURE_LIMITS: dict[str, tuple[float, float]] = {
    **{name: (0.0, 1.0) for name in UNIT_FEATURES},
    "tempo": (50.0, 200.0),
    "loudness": (-35.0, -1.0),
}
SAMPLED_FEATURES = tuple(FEATURE_LIMITS)

# One shared "intensity" draw per track moves these features together, as in real recordings:
# a more energetic take is louder, a little faster and more danceable, and less acoustic.
INTENSITY_WEIGHTS = {
    "energy": 0.8,
    "loudness": 0.7,
    "acousticness": -0.5,
    "danceability": 0.3,
    "tempo": 0.3,
    "valence": 0.25,
}
# Each artist has its own sound: a fixed offset per feature, in units of the style's spread,
# so an artist's tracks resemble each other more than they resemble their genre at large.
ARTIST_SOUND_SPREAD = 0.45
# Major keys sound brighter; nudging valence by mode keeps key/mode and mood tags consistent.
MAJOR_MODE_VALENCE_SHIFT = 0.05
LIVE_LIVENESS_RANGE = (0.7, 0.97)
DURATION_MINUTES_RANGE = (1.0, 20.0)

TRACKS_PER_ARTIST = (3, 12)
# Most artists have a handful of tracks and a few have a dozen (mean about 6.3, so 3000 rows
# come from roughly 470 artists).
TRACKS_PER_ARTIST_MODE = 4
SECOND_SUBGENRE_SHARE = 0.3
MAIN_SUBGENRE_SHARE = 0.75
ALBUMS_PER_ARTIST = (1, 3)
CAREER_YEARS = 12
# Fame is Beta-distributed so popularity is skewed: most tracks obscure, a few hits.
FAME_BETA = (1.4, 4.0)
THEMED_SHARE = 0.55
SECOND_THEME_SHARE = 0.25
NAME_ATTEMPTS = 50


# --- tables (catalog/demo_data/*.toml) -------------------------------------------------------

_WORDS = load_words()
_GENRES = load_genres()
_TAGS = load_tags()

WORDS: dict[str, tuple[str, ...]] = _WORDS.slots
SONG_TITLE_PATTERNS = _WORDS.song_titles
ALBUM_PATTERNS = _WORDS.album_titles
FORMS = _WORDS.forms
KEY_NAMES = _WORDS.keys
MOVEMENTS = _WORDS.movements
TEMPO_MARKINGS = _WORDS.tempo_markings
FASTEST_MARKING = _WORDS.fastest_marking
# Long dance tracks are usually the extended club mix; ambient pieces are just long.
EXTENDED_MIX_SUBGENRES = frozenset({"house", "techno", "drum and bass"})
EXTENDED_MIX_MS = 7 * 60_000

GENRES: tuple[Genre, ...] = _GENRES.genres
GENRES_BY_NAME: dict[str, Genre] = {genre.name: genre for genre in GENRES}
GUEST_GENRES = _GENRES.guest_genres
ELECTRIC_INSTRUMENTS = _GENRES.electric_instruments
ACOUSTIC_CUTOFF = _GENRES.acoustic_cutoff

MOOD_REGIONS = _TAGS.moods
THEME_RULES = _TAGS.themes
THEME_MOODS = _TAGS.theme_moods
OTHER_TAG_RULES = _TAGS.other

# --- drawing ----------------------------------------------------------------------------------


@dataclass
class Artist:
    name: str
    genre: Genre
    styles: tuple[Style, ...]  # the first is the artist's main subgenre
    sound: dict[str, float]  # offset per feature, in units of the style's spread
    fame: float  # 0..1, drives popularity
    debut_year: int


def _resolve_style(genre: Genre, subgenre: Subgenre) -> Style:
    signature = subgenre.instruments or genre.instruments
    return Style(
        genre=genre,
        subgenre=subgenre.name,
        features={**genre.features, **subgenre.features},
        era=subgenre.era or genre.era,
        minutes=subgenre.minutes or genre.minutes,
        explicit_share=genre.explicit_share if subgenre.explicit_share is None else subgenre.explicit_share,
        signature_instruments=signature,
        instruments=tuple(dict.fromkeys(signature + genre.instruments)),
    )


STYLES: dict[str, tuple[Style, ...]] = {
    genre.name: tuple(_resolve_style(genre, subgenre) for subgenre in genre.subgenres) for genre in GENRES
}


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _fill(rng: random.Random, pattern: str) -> str:
    return pattern.format(**{slot: rng.choice(words) for slot, words in WORDS.items()})


def _unique_text(rng: random.Random, patterns: tuple[str, ...], taken: set[str], *, lowercase: bool) -> str:
    """A new text from the patterns, unique (case-insensitively) among ``taken``, which it joins."""
    text = ""
    for attempt in range(NAME_ATTEMPTS + 1):
        text = _fill(rng, rng.choice(patterns))
        if attempt == NAME_ATTEMPTS:
            # Word lists exhausted for this pattern set (only with huge counts): number it.
            text = f"{text} {len(taken) + 1}"
        if lowercase:
            text = text.lower()
        if text.lower() not in taken:
            break
    taken.add(text.lower())
    return text


def _new_artist(rng: random.Random, taken_names: set[str]) -> Artist:
    genre = rng.choices(GENRES, weights=[genre.weight for genre in GENRES])[0]
    styles = list(STYLES[genre.name])
    main = rng.choice(styles)
    chosen = [main]
    if len(styles) > 1 and rng.random() < SECOND_SUBGENRE_SHARE:
        chosen.append(rng.choice([style for style in styles if style is not main]))
    era = main.era
    return Artist(
        name=_unique_text(rng, genre.artist_patterns, taken_names, lowercase=genre.lowercase),
        genre=genre,
        styles=tuple(chosen),
        sound={name: rng.gauss(0.0, ARTIST_SOUND_SPREAD) for name in SAMPLED_FEATURES},
        fame=rng.betavariate(*FAME_BETA),
        debut_year=round(rng.triangular(era.first, era.last, era.peak)),
    )


def _track_count(rng: random.Random, remaining: int) -> int:
    """Tracks for the next artist: 3..12, never leaving a remainder too small for another artist."""
    low, high = TRACKS_PER_ARTIST
    count = min(round(rng.triangular(low, high, TRACKS_PER_ARTIST_MODE)), remaining)
    leftover = remaining - count
    if 0 < leftover < low:
        count = remaining if remaining <= high else remaining - low
    return count


def _album_years(rng: random.Random, artist: Artist, album_count: int) -> list[int]:
    """Debut first, later albums within a career but never past the main subgenre's era."""
    last_year = min(LAST_YEAR, max(artist.debut_year, artist.styles[0].era.last))
    later = [artist.debut_year + rng.randint(1, CAREER_YEARS) for _ in range(album_count - 1)]
    return sorted(int(_clip(year, FIRST_YEAR, last_year)) for year in [artist.debut_year, *later])


def _albums(rng: random.Random, artist: Artist, track_count: int) -> list[tuple[str, int]]:
    """(labelled album title, release year) per album, oldest first."""
    album_count = 1 if track_count <= 4 else rng.randint(*ALBUMS_PER_ARTIST)
    patterns = artist.genre.album_patterns or ALBUM_PATTERNS
    titles: set[str] = set()
    return [
        (_unique_text(rng, patterns, titles, lowercase=artist.genre.lowercase) + DEMO_ALBUM_SUFFIX, year)
        for year in _album_years(rng, artist, album_count)
    ]


def _sample_features(rng: random.Random, style: Style, artist: Artist) -> dict[str, Any]:
    intensity = rng.gauss(0.0, 1.0)
    features: dict[str, Any] = {}
    for name in SAMPLED_FEATURES:
        mean, spread = style.features[name]
        weight = INTENSITY_WEIGHTS.get(name, 0.0)
        noise = weight * intensity + math.sqrt(1.0 - weight * weight) * rng.gauss(0.0, 1.0)
        features[name] = mean + (artist.sound[name] + noise) * spread
    if rng.random() < style.genre.live_share:
        features["liveness"] = rng.uniform(*LIVE_LIVENESS_RANGE)
    features["key"] = rng.randrange(12)
    features["mode"] = int(rng.random() < style.genre.major_share)
    features["valence"] += MAJOR_MODE_VALENCE_SHIFT if features["mode"] else -MAJOR_MODE_VALENCE_SHIFT
    for name, (low, high) in FEATURE_LIMITS.items():
        features[name] = round(_clip(features[name], low, high), 3)
    return features


def _duration_ms(rng: random.Random, style: Style) -> int:
    minutes = _clip(rng.gauss(*style.minutes), *DURATION_MINUTES_RANGE)
    return round(minutes * 60_000)


def _popularity(rng: random.Random, artist: Artist) -> int:
    return round(_clip(artist.fame * 100 * rng.uniform(0.55, 1.2) + rng.gauss(0.0, 4.0), 0, 100))


def _tempo_marking(tempo: float) -> str:
    return next((marking for upper, marking in TEMPO_MARKINGS if tempo < upper), FASTEST_MARKING)


def _work_title(rng: random.Random, features: Mapping[str, Any]) -> str:
    """A classical work named after its own key, mode and tempo: 'Sonata No. 3 in D minor: II. Adagio'."""
    scale = "major" if features["mode"] else "minor"
    title = f"{rng.choice(FORMS)} No. {rng.randint(1, 24)} in {KEY_NAMES[features['key']]} {scale}"
    if rng.random() < 0.6:
        title += f": {rng.choice(MOVEMENTS)}. {_tempo_marking(features['tempo'])}"
    return title


def _track_title(
    rng: random.Random, style: Style, features: Mapping[str, Any], duration_ms: int, taken: set[str]
) -> str:
    genre = style.genre
    if genre.numbered_works:
        for _ in range(NAME_ATTEMPTS):
            title = _work_title(rng, features)
            if title.lower() not in taken:
                taken.add(title.lower())
                return title
        # Only a very prolific artist runs out of numbered works; a song title still fits.
    title = _unique_text(rng, SONG_TITLE_PATTERNS + genre.title_patterns, taken, lowercase=genre.lowercase)
    if style.subgenre in EXTENDED_MIX_SUBGENRES and duration_ms > EXTENDED_MIX_MS:
        title += " (Extended Mix)"
    return title


def _in_ranges(features: Mapping[str, Any], ranges: Mapping[str, tuple[float, float]]) -> bool:
    return all(low <= features[name] <= high for name, (low, high) in ranges.items())


def _box_distance(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return max(low - value, 0.0, value - high)


def mood_names(valence: float, energy: float) -> list[str]:
    """Moods whose valence/energy region holds the track, or the single nearest one."""
    inside = [
        mood
        for mood, valence_range, energy_range in MOOD_REGIONS
        if _box_distance(valence, valence_range) == 0 and _box_distance(energy, energy_range) == 0
    ]
    if inside:
        return inside
    nearest = min(
        MOOD_REGIONS,
        key=lambda region: math.hypot(_box_distance(valence, region[1]), _box_distance(energy, region[2])),
    )
    return [nearest[0]]


def _themes(rng: random.Random, features: Mapping[str, Any]) -> list[str]:
    fitting = [theme for theme, ranges in THEME_RULES.items() if _in_ranges(features, ranges)]
    if not fitting or rng.random() >= THEMED_SHARE:
        return []
    count = 2 if len(fitting) > 1 and rng.random() < SECOND_THEME_SHARE else 1
    return rng.sample(fitting, count)


def _instruments(rng: random.Random, style: Style, acousticness: float) -> list[str]:
    """One signature instrument of the subgenre, then up to two more from the genre."""

    def playable(names: tuple[str, ...]) -> list[str]:
        if acousticness < ACOUSTIC_CUTOFF:
            return list(names)
        return [name for name in names if name not in ELECTRIC_INSTRUMENTS] or list(names)

    first = rng.choice(playable(style.signature_instruments))
    others = [name for name in playable(style.instruments) if name != first]
    extra = min(len(others), rng.choice((0, 1, 1, 2)))
    return [first, *rng.sample(others, extra)]


def _tags(rng: random.Random, style: Style, features: Mapping[str, Any]) -> list[str]:
    themes = _themes(rng, features)
    moods = mood_names(features["valence"], features["energy"])
    moods.extend(THEME_MOODS[theme] for theme in themes if theme in THEME_MOODS)
    others = [name for name, ranges in OTHER_TAG_RULES.items() if _in_ranges(features, ranges)]
    return [
        f"genre:{style.genre.name}",
        f"genre:{style.subgenre}",
        *(f"mood:{mood}" for mood in moods),
        *(f"theme:{theme}" for theme in themes),
        *(f"instrument:{name}" for name in _instruments(rng, style, features["acousticness"])),
        *(f"other:{name}" for name in others),
    ]


def _track_style(rng: random.Random, artist: Artist, year: int) -> Style:
    """Mostly the artist's main subgenre; a second one only on albums from that subgenre's era."""
    main, *others = artist.styles
    in_era = [style for style in others if style.era.first <= year <= style.era.last]
    if not in_era or rng.random() < MAIN_SUBGENRE_SHARE:
        return main
    return rng.choice(in_era)


def _artist_credit(rng: random.Random, artist: Artist, artists_by_genre: Mapping[str, list[str]]) -> str:
    """The artist field: usually the artist alone, sometimes 'Artist;Guest' for a feature."""
    if rng.random() >= artist.genre.guest_share:
        return artist.name
    candidates = [
        name
        for genre in GUEST_GENRES.get(artist.genre.name, (artist.genre.name,))
        for name in artists_by_genre.get(genre, ())
    ]
    if not candidates:
        return artist.name
    return f"{artist.name};{rng.choice(candidates)}"


def _artist_rows(
    rng: random.Random,
    artist: Artist,
    track_count: int,
    *,
    first_number: int,
    artists_by_genre: Mapping[str, list[str]],
) -> Iterator[dict[str, Any]]:
    albums = _albums(rng, artist, track_count)
    titles: set[str] = set()
    for position in range(track_count):
        album, year = albums[position * len(albums) // track_count]
        style = _track_style(rng, artist, year)
        features = _sample_features(rng, style, artist)
        duration_ms = _duration_ms(rng, style)
        yield {
            "source_id": f"demo-{first_number + position:05d}",
            "title": _track_title(rng, style, features, duration_ms, titles),
            "artist": _artist_credit(rng, artist, artists_by_genre),
            "album": album,
            "release_year": year,
            "duration_ms": duration_ms,
            "popularity": _popularity(rng, artist),
            "explicit": rng.random() < style.explicit_share,
            "tags": _tags(rng, style, features),
            **features,
        }


def generate_demo_rows(count: int = 3000, *, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield ``count`` demo track rows in the importer's canonical field names.

    The same count and seed always give the same rows (one private ``random.Random``). Rows come
    artist by artist; each artist has one main genre and 3-12 tracks (fewer only if ``count`` < 3).
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    rng = random.Random(seed)
    taken_names: set[str] = set()
    artists_by_genre: dict[str, list[str]] = {}
    produced = 0
    while produced < count:
        artist = _new_artist(rng, taken_names)
        track_count = _track_count(rng, count - produced)
        yield from _artist_rows(
            rng, artist, track_count, first_number=produced + 1, artists_by_genre=artists_by_genre
        )
        produced += track_count
        artists_by_genre.setdefault(artist.genre.name, []).append(artist.name)
