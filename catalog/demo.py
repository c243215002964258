"""A made-up demo catalog: a few thousand tracks whose genres, tags and audio features agree.

No real data file may ship with the project, so every name, title and number here is invented
from the word lists and per-genre distributions below. Every album ends in " (demo)", every id
starts with "demo-" and the import source is ``DEMO_SOURCE``, so the tracks read as demo data
wherever they show.

Rows use the importer's canonical field names (``catalog.importing.CANONICAL_FIELDS``) and go
through the same validation as an imported file. Standard library only: no Django, no settings.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
    title_patterns: tuple[str, ...] = ()  # added to SONG_TITLE_PATTERNS
    album_patterns: tuple[str, ...] = ()  # replace ALBUM_PATTERNS when given
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


def _normals(**pairs: tuple[float, float]) -> dict[str, Normal]:
    return {name: Normal(*pair) for name, pair in pairs.items()}


# --- word lists ---------------------------------------------------------------------------

ADJECTIVES = (
    "Velvet", "Golden", "Silver", "Neon", "Electric", "Hollow", "Crimson", "Quiet", "Wild", "Paper",
    "Midnight", "Broken", "Silent", "Lunar", "Burning", "Faded", "Amber", "Cobalt", "Static", "Glass",
    "Iron", "Wandering", "Lost", "Sugar", "Distant", "Northern", "Southern", "Restless", "Crystal",
    "Marble", "Rusty", "Scarlet", "Tender", "Violet", "Frozen", "Radiant", "Hidden", "Secret",
    "Endless", "Lonely", "Copper", "Ivory", "Stormy", "Gentle", "Summer", "Winter", "Blue", "Low",
    "Slow", "Bright",
)  # fmt: skip
NOUNS = (
    "Harbor", "Avenue", "Satellite", "River", "Highway", "Garden", "Mirror", "Lantern", "Ocean",
    "Echo", "Signal", "Horizon", "Comet", "Window", "Island", "Feather", "Canyon", "Engine", "Valley",
    "Thunder", "Orchard", "Ember", "Meadow", "Parade", "Compass", "Machine", "Shadow", "Daydream",
    "Heartbeat", "Telegram", "Carousel", "Harvest", "Rooftop", "Station", "Tide", "Ghost",
    "Frontier", "Fever", "Circuit", "Tower", "Letter", "Promise", "Prism", "Cathedral", "Sparrow",
    "Moon", "Street", "Kettle", "Postcard", "Lighthouse",
)  # fmt: skip
PLURAL_NOUNS = (
    "Harbors", "Satellites", "Rivers", "Highways", "Gardens", "Mirrors", "Lanterns", "Echoes",
    "Signals", "Comets", "Windows", "Islands", "Feathers", "Canyons", "Engines", "Valleys", "Embers",
    "Meadows", "Machines", "Shadows", "Daydreams", "Heartbeats", "Telegrams", "Rooftops", "Tides",
    "Ghosts", "Circuits", "Towers", "Letters", "Promises", "Prisms", "Sparrows", "Wolves", "Streets",
    "Postcards", "Lighthouses", "Strangers", "Saints", "Pilots", "Foxes",
)  # fmt: skip
GERUNDS = (
    "Chasing", "Dancing", "Falling", "Running", "Dreaming", "Waiting", "Drifting", "Holding",
    "Calling", "Leaving", "Finding", "Counting", "Crossing", "Breaking", "Turning",
)  # fmt: skip
FIRST_NAMES = (
    "Mara", "Solenne", "Theo", "Juno", "Ines", "Felix", "Nadia", "Oscar", "Lena", "Rafael", "Ada",
    "Milo", "Esme", "Tobias", "Priya", "Kofi", "Yara", "Emil", "Sana", "Dario", "Greta", "Hugo",
    "Ivy", "Jonah", "Keiko", "Lucia", "Marek", "Noor", "Otis", "Pilar", "Quinn", "Rosa", "Silas",
    "Tamsin", "Ulla", "Vera", "Wren", "Xavier", "Yusuf", "Zora", "Amara", "Bastian", "Celeste",
    "Dev", "Elena", "Farah", "Gideon", "Hana", "Idris", "Jada", "Kasimir", "Lior", "Mateo", "Nell",
    "Orla", "Paz", "Remy", "Soren", "Talia", "Vivian",
)  # fmt: skip
LAST_NAMES = (
    "Quill", "Ashdown", "Bellweather", "Castellan", "Draycott", "Everly", "Fairbanks", "Galloway",
    "Hartwell", "Ingram", "Juniper", "Kestrel", "Lindqvist", "Marlowe", "Northcott", "Oakes",
    "Pemberton", "Quarry", "Rivers", "Sorensen", "Thorne", "Underhill", "Vance", "Whitlock",
    "Yarrow", "Zeller", "Abernathy", "Blackwood", "Calder", "Delacroix", "Ellery", "Finch",
    "Greaves", "Holloway", "Ives", "Jansen", "Kowalczyk", "Larkin", "Mercer", "Nakamura", "Okafor",
    "Pryce", "Ramos", "Sato", "Tennant", "Valdez", "Wilder", "Moreau", "Novak", "Lindgren",
)  # fmt: skip
# Invented places, so ensemble names cannot be mistaken for real orchestras.
PLACES = (
    "Aldmere", "Brightwater", "Calloway", "Dunmore", "Eastvale", "Fernhollow", "Greystone",
    "Hollins", "Ivybridge", "Kestrel Bay", "Lowmoor", "Marrowick", "Northmere", "Oakhaven",
)  # fmt: skip
RAPPER_PREFIXES = ("Lil", "Young", "MC", "Big", "Kid", "King")
ENSEMBLES = ("Quartet", "Trio", "Ensemble", "Consort", "Chamber Players")
ORCHESTRAS = ("Chamber Orchestra", "Philharmonic", "Sinfonia", "Baroque Players", "Symphony Orchestra")
COMBOS = ("Trio", "Quartet", "Quintet", "Sextet", "Group")
FORMS = (
    "Sonata", "Nocturne", "Etude", "Prelude", "Suite", "Concerto", "Fugue", "Partita",
    "String Quartet", "Serenade", "Rhapsody", "Fantasia", "Symphony",
)  # fmt: skip
FORMS_PLURAL = (
    "Sonatas", "Nocturnes", "Etudes", "Preludes", "Suites", "Concertos", "Fugues", "Partitas",
    "String Quartets", "Serenades", "Rhapsodies", "Symphonies",
)  # fmt: skip
VOLUMES = ("I", "II", "III", "IV")
# Every placeholder a name or title pattern may use.
WORDS: dict[str, tuple[str, ...]] = {
    "adj": ADJECTIVES,
    "noun": NOUNS,
    "plural": PLURAL_NOUNS,
    "gerund": GERUNDS,
    "first": FIRST_NAMES,
    "last": LAST_NAMES,
    "place": PLACES,
    "prefix": RAPPER_PREFIXES,
    "ensemble": ENSEMBLES,
    "orchestra": ORCHESTRAS,
    "combo": COMBOS,
    "forms": FORMS_PLURAL,
    "volume": VOLUMES,
}

# --- name and title patterns ----------------------------------------------------------------

BAND_NAMES = ("The {adj} {plural}", "{adj} {plural}", "The {plural} of {place}")
SINGER_NAMES = ("{first} {last}", "{first} {last}")
BANDLEADER_NAMES = ("{first} {last} & the {plural}", "{first} {last}")
DJ_NAMES = ("DJ {first}", "{adj} {noun}", "{first} {last}", "{noun} Theory")
RAPPER_NAMES = ("{prefix} {noun}", "{prefix} {first}", "{first} {last}", "{adj} {first}")
CLASSICAL_NAMES = ("{first} {last}", "{last} {ensemble}", "{place} {orchestra}")
JAZZ_NAMES = ("{first} {last} {combo}", "{first} {last}")
SOUND_SYSTEM_NAMES = ("{adj} {noun} Sound System", "{first} {last}", "The {adj} {plural}")
LOFI_NAMES = ("{adj} {noun}", "{first} {noun}", "{noun} tapes")

SONG_TITLE_PATTERNS = (
    "{adj} {noun}",
    "{adj} {noun}",
    "{adj} {plural}",
    "{noun} of {plural}",
    "{gerund} {plural}",
    "{gerund} the {noun}",
    "{noun} Song",
    "Under the {adj} {noun}",
    "{first}",
)
ALBUM_PATTERNS = (
    "{adj} {noun}",
    "{adj} {plural}",
    "{plural}",
    "The {noun} Sessions",
    "Songs from the {noun}",
)
CLASSICAL_ALBUM_PATTERNS = ("Selected {forms}", "{forms}, Vol. {volume}", "{forms} from {place}")
KEY_NAMES = ("C", "C-sharp", "D", "E-flat", "E", "F", "F-sharp", "G", "A-flat", "A", "B-flat", "B")
# Tempo markings by the tempo they usually mean, so a work's name matches its tempo feature.
TEMPO_MARKINGS = ((66, "Largo"), (76, "Adagio"), (108, "Andante"), (120, "Moderato"), (156, "Allegro"))
FASTEST_MARKING = "Presto"
MOVEMENTS = ("I", "II", "III", "IV")
# Long dance tracks are usually the extended club mix; ambient pieces are just long.
EXTENDED_MIX_SUBGENRES = frozenset({"house", "techno", "drum and bass"})
EXTENDED_MIX_MS = 7 * 60_000

# --- genres ---------------------------------------------------------------------------------
# Means and spreads are rough shapes of public audio-feature statistics per genre, not copies.

# fmt: off
# The profiles are kept a few features to a line so genres can be compared at a glance.
GENRES: tuple[Genre, ...] = (
    Genre(
        name="pop",
        weight=1.4,
        features=_normals(
            danceability=(0.66, 0.1), energy=(0.66, 0.13), valence=(0.55, 0.2), acousticness=(0.18, 0.15),
            instrumentalness=(0.01, 0.03), speechiness=(0.07, 0.03), liveness=(0.15, 0.07), tempo=(118, 16),
            loudness=(-6, 1.8),
        ),
        era=Era(1975, 2015, 2025),
        minutes=Normal(3.4, 0.4),
        subgenres=(
            Subgenre(
                "synth-pop",
                _normals(energy=(0.7, 0.1), acousticness=(0.08, 0.06), tempo=(120, 10)),
                era=Era(1979, 1985, 2025),
                instruments=("synthesizer", "drum machine"),
            ),
            Subgenre(
                "dance pop",
                _normals(danceability=(0.75, 0.07), energy=(0.75, 0.1), valence=(0.65, 0.17), tempo=(124, 6)),
                era=Era(1983, 2012, 2025),
                instruments=("synthesizer", "drum machine"),
            ),
            Subgenre(
                "indie pop",
                _normals(energy=(0.55, 0.15), acousticness=(0.35, 0.2), loudness=(-8, 2)),
                era=Era(1990, 2012, 2025),
                instruments=("electric guitar", "synthesizer"),
            ),
            Subgenre(
                "pop ballad",
                _normals(
                    danceability=(0.45, 0.1), energy=(0.35, 0.1), valence=(0.3, 0.15),
                    acousticness=(0.55, 0.2), tempo=(76, 10), loudness=(-8, 2),
                ),
                instruments=("piano", "strings"),
            ),
        ),
        instruments=("synthesizer", "piano", "drum machine", "electric guitar", "bass guitar"),
        artist_patterns=SINGER_NAMES + BAND_NAMES,
        major_share=0.65,
        explicit_share=0.06,
        guest_share=0.12,
    ),
    Genre(
        name="rock",
        weight=1.3,
        features=_normals(
            danceability=(0.48, 0.12), energy=(0.75, 0.13), valence=(0.5, 0.2), acousticness=(0.1, 0.12),
            instrumentalness=(0.06, 0.1), speechiness=(0.05, 0.02), liveness=(0.18, 0.1), tempo=(128, 22),
            loudness=(-6.5, 2.2),
        ),
        era=Era(1963, 1985, 2025),
        minutes=Normal(3.9, 0.8),
        subgenres=(
            Subgenre(
                "classic rock",
                _normals(energy=(0.7, 0.13), loudness=(-9, 2.5)),
                era=Era(1964, 1972, 1990),
                instruments=("electric guitar", "organ"),
            ),
            Subgenre(
                "indie rock",
                _normals(energy=(0.7, 0.13), valence=(0.45, 0.2)),
                era=Era(1990, 2008, 2025),
                instruments=("electric guitar",),
            ),
            Subgenre(
                "punk",
                _normals(danceability=(0.42, 0.1), energy=(0.9, 0.06), tempo=(165, 15), loudness=(-5, 1.5)),
                era=Era(1976, 1979, 2000),
                minutes=Normal(2.5, 0.5),
                explicit_share=0.2,
                instruments=("electric guitar", "drums"),
            ),
            Subgenre(
                "alternative rock",
                _normals(valence=(0.4, 0.2)),
                era=Era(1987, 1996, 2025),
            ),
        ),
        instruments=("electric guitar", "bass guitar", "drums", "acoustic guitar"),
        artist_patterns=BAND_NAMES + BAND_NAMES + BANDLEADER_NAMES,
        major_share=0.65,
        explicit_share=0.06,
        guest_share=0.02,
        live_share=0.06,
    ),
    Genre(
        name="hip hop",
        weight=1.3,
        features=_normals(
            danceability=(0.76, 0.08), energy=(0.64, 0.12), valence=(0.5, 0.2), acousticness=(0.15, 0.15),
            instrumentalness=(0.01, 0.02), speechiness=(0.27, 0.1), liveness=(0.16, 0.08), tempo=(93, 6),
            loudness=(-6.5, 2),
        ),
        era=Era(1984, 2015, 2025),
        minutes=Normal(3.6, 0.6),
        subgenres=(
            Subgenre(
                "boom bap",
                _normals(tempo=(92, 5)),
                era=Era(1986, 1994, 2012),
                explicit_share=0.55,
                instruments=("sampler", "turntables"),
            ),
            Subgenre(
                "trap",
                _normals(energy=(0.68, 0.1), valence=(0.38, 0.18), speechiness=(0.22, 0.09), tempo=(141, 5)),
                era=Era(2005, 2018, 2025),
                explicit_share=0.75,
                instruments=("808", "synthesizer"),
            ),
            Subgenre(
                "gangsta rap",
                _normals(valence=(0.45, 0.2), tempo=(95, 6)),
                era=Era(1987, 1995, 2010),
                explicit_share=0.9,
                instruments=("drum machine", "synthesizer"),
            ),
            Subgenre(
                "conscious rap",
                _normals(speechiness=(0.3, 0.1), tempo=(90, 6)),
                era=Era(1988, 2005, 2025),
                explicit_share=0.35,
                instruments=("piano", "sampler"),
            ),
        ),
        instruments=("drum machine", "sampler", "synthesizer", "bass guitar"),
        artist_patterns=RAPPER_NAMES,
        major_share=0.45,
        explicit_share=0.6,
        guest_share=0.25,
    ),
    Genre(
        name="electronic",
        weight=1.2,
        features=_normals(
            danceability=(0.68, 0.1), energy=(0.78, 0.1), valence=(0.45, 0.2), acousticness=(0.04, 0.05),
            instrumentalness=(0.6, 0.25), speechiness=(0.06, 0.03), liveness=(0.14, 0.08), tempo=(126, 4),
            loudness=(-6.5, 2),
        ),
        era=Era(1986, 2012, 2025),
        minutes=Normal(6.0, 1.4),
        subgenres=(
            Subgenre(
                "house",
                _normals(
                    danceability=(0.78, 0.06), valence=(0.58, 0.18), instrumentalness=(0.5, 0.25),
                    tempo=(124, 2.5),
                ),
                instruments=("drum machine", "synthesizer", "piano"),
            ),
            Subgenre(
                "techno",
                _normals(
                    danceability=(0.7, 0.07), valence=(0.3, 0.15), instrumentalness=(0.8, 0.15),
                    tempo=(130, 3),
                ),
                era=Era(1988, 2012, 2025),
                instruments=("drum machine", "synthesizer"),
            ),
            Subgenre(
                "drum and bass",
                _normals(danceability=(0.55, 0.08), energy=(0.88, 0.06), tempo=(174, 2)),
                era=Era(1993, 2008, 2025),
                minutes=Normal(5.5, 1.0),
                instruments=("sampler", "synthesizer"),
            ),
            Subgenre(
                "ambient",
                _normals(
                    danceability=(0.28, 0.1), energy=(0.18, 0.1), valence=(0.2, 0.12),
                    acousticness=(0.55, 0.25), instrumentalness=(0.88, 0.1), tempo=(85, 18),
                    loudness=(-19, 4),
                ),
                era=Era(1975, 2010, 2025),
                minutes=Normal(7.5, 3.0),
                instruments=("synthesizer", "piano"),
            ),
        ),
        instruments=("synthesizer", "drum machine", "sampler"),
        artist_patterns=DJ_NAMES,
        major_share=0.5,
        explicit_share=0.02,
        guest_share=0.1,
        live_share=0.01,
    ),
    Genre(
        name="jazz",
        weight=0.8,
        features=_normals(
            danceability=(0.52, 0.12), energy=(0.4, 0.15), valence=(0.5, 0.2), acousticness=(0.75, 0.15),
            instrumentalness=(0.6, 0.3), speechiness=(0.05, 0.02), liveness=(0.22, 0.12), tempo=(118, 30),
            loudness=(-12, 3.5),
        ),
        era=Era(1960, 1968, 2025),
        minutes=Normal(6.0, 2.0),
        subgenres=(
            Subgenre(
                "bebop",
                _normals(energy=(0.55, 0.12), tempo=(180, 14)),
                era=Era(1960, 1962, 1975),
                instruments=("saxophone", "trumpet", "double bass"),
            ),
            Subgenre(
                "cool jazz",
                _normals(energy=(0.3, 0.1), tempo=(110, 20)),
                era=Era(1960, 1962, 1985),
                instruments=("trumpet", "saxophone", "double bass"),
            ),
            Subgenre(
                "smooth jazz",
                _normals(
                    danceability=(0.62, 0.08), energy=(0.45, 0.1), acousticness=(0.4, 0.2), loudness=(-9, 2)
                ),
                era=Era(1978, 1992, 2015),
                instruments=("saxophone", "electric piano"),
            ),
            Subgenre(
                "jazz fusion",
                _normals(
                    energy=(0.65, 0.12), acousticness=(0.25, 0.2), instrumentalness=(0.8, 0.15),
                    loudness=(-9, 2.5),
                ),
                era=Era(1969, 1976, 2025),
                instruments=("electric piano", "electric guitar", "bass guitar"),
            ),
        ),
        instruments=("saxophone", "trumpet", "double bass", "piano", "drums"),
        artist_patterns=JAZZ_NAMES,
        major_share=0.55,
        guest_share=0.02,
        live_share=0.15,
        title_patterns=("Blues for {first}", "{first}'s Waltz"),
    ),
    Genre(
        name="classical",
        weight=0.7,
        features=_normals(
            danceability=(0.25, 0.1), energy=(0.18, 0.12), valence=(0.25, 0.15), acousticness=(0.95, 0.04),
            instrumentalness=(0.88, 0.1), speechiness=(0.04, 0.01), liveness=(0.12, 0.06), tempo=(100, 28),
            loudness=(-21, 5),
        ),
        era=Era(1960, 2000, 2025),
        minutes=Normal(7.0, 3.5),
        subgenres=(
            Subgenre(
                "baroque",
                _normals(energy=(0.25, 0.12), valence=(0.45, 0.18), tempo=(108, 25)),
                instruments=("harpsichord", "violin", "cello"),
            ),
            Subgenre("chamber music", instruments=("violin", "viola", "cello", "piano")),
            Subgenre(
                "symphonic",
                _normals(energy=(0.3, 0.18), loudness=(-18, 5)),
                minutes=Normal(10.0, 4.0),
                instruments=("strings", "brass", "timpani"),
            ),
            Subgenre(
                "minimalism",
                _normals(valence=(0.35, 0.15), tempo=(110, 25)),
                era=Era(1970, 2005, 2025),
                instruments=("piano", "marimba", "strings"),
            ),
        ),
        instruments=("piano", "violin", "cello", "strings"),
        artist_patterns=CLASSICAL_NAMES,
        major_share=0.55,
        guest_share=0.0,
        album_patterns=CLASSICAL_ALBUM_PATTERNS,
        numbered_works=True,
    ),
    Genre(
        name="folk",
        weight=0.7,
        features=_normals(
            danceability=(0.5, 0.12), energy=(0.35, 0.13), valence=(0.45, 0.2), acousticness=(0.82, 0.12),
            instrumentalness=(0.05, 0.1), speechiness=(0.04, 0.02), liveness=(0.15, 0.08), tempo=(112, 22),
            loudness=(-11, 3),
        ),
        era=Era(1962, 1970, 2025),
        minutes=Normal(3.7, 0.8),
        subgenres=(
            Subgenre(
                "traditional folk",
                era=Era(1960, 1965, 1995),
                instruments=("fiddle", "banjo", "acoustic guitar"),
            ),
            Subgenre(
                "singer-songwriter",
                era=Era(1965, 1975, 2025),
                instruments=("acoustic guitar", "piano", "harmonica"),
            ),
            Subgenre(
                "indie folk",
                _normals(energy=(0.42, 0.13)),
                era=Era(2000, 2012, 2025),
                instruments=("acoustic guitar", "banjo", "mandolin"),
            ),
        ),
        instruments=("acoustic guitar", "banjo", "fiddle", "harmonica", "mandolin"),
        artist_patterns=SINGER_NAMES + BAND_NAMES,
        major_share=0.7,
        live_share=0.06,
    ),
    Genre(
        name="country",
        weight=0.8,
        features=_normals(
            danceability=(0.58, 0.1), energy=(0.6, 0.14), valence=(0.58, 0.18), acousticness=(0.4, 0.22),
            instrumentalness=(0.01, 0.03), speechiness=(0.04, 0.02), liveness=(0.17, 0.08), tempo=(118, 22),
            loudness=(-7, 2.5),
        ),
        era=Era(1960, 2010, 2025),
        minutes=Normal(3.4, 0.5),
        subgenres=(
            Subgenre(
                "classic country",
                _normals(acousticness=(0.55, 0.2), loudness=(-10, 2.5)),
                era=Era(1960, 1968, 1990),
                instruments=("pedal steel guitar", "acoustic guitar", "fiddle"),
            ),
            Subgenre(
                "bluegrass",
                _normals(energy=(0.55, 0.13), acousticness=(0.85, 0.1), tempo=(130, 20)),
                era=Era(1960, 1975, 2025),
                instruments=("banjo", "mandolin", "fiddle", "double bass"),
            ),
            Subgenre(
                "country pop",
                _normals(energy=(0.7, 0.1), acousticness=(0.22, 0.15)),
                era=Era(1992, 2014, 2025),
                instruments=("electric guitar", "acoustic guitar"),
            ),
            Subgenre(
                "outlaw country",
                _normals(valence=(0.5, 0.2)),
                era=Era(1970, 1976, 1995),
                explicit_share=0.05,
                instruments=("acoustic guitar", "electric guitar", "harmonica"),
            ),
        ),
        instruments=("acoustic guitar", "pedal steel guitar", "fiddle", "banjo"),
        artist_patterns=SINGER_NAMES + BANDLEADER_NAMES,
        major_share=0.85,
        explicit_share=0.02,
        guest_share=0.05,
    ),
    Genre(
        name="r&b",
        weight=0.9,
        features=_normals(
            danceability=(0.66, 0.1), energy=(0.55, 0.13), valence=(0.48, 0.2), acousticness=(0.22, 0.18),
            instrumentalness=(0.02, 0.05), speechiness=(0.09, 0.05), liveness=(0.13, 0.07), tempo=(100, 18),
            loudness=(-7, 2),
        ),
        era=Era(1986, 2008, 2025),
        minutes=Normal(3.8, 0.6),
        subgenres=(
            Subgenre(
                "contemporary r&b", era=Era(1995, 2012, 2025), instruments=("synthesizer", "drum machine")
            ),
            Subgenre(
                "neo soul",
                _normals(energy=(0.45, 0.12), acousticness=(0.35, 0.2)),
                era=Era(1995, 2000, 2020),
                instruments=("electric piano", "bass guitar"),
            ),
            Subgenre(
                "new jack swing",
                _normals(danceability=(0.75, 0.07), energy=(0.68, 0.1), valence=(0.62, 0.15), tempo=(108, 6)),
                era=Era(1986, 1990, 1996),
                instruments=("drum machine", "synthesizer"),
            ),
        ),
        instruments=("synthesizer", "electric piano", "drum machine", "bass guitar"),
        artist_patterns=SINGER_NAMES,
        major_share=0.45,
        explicit_share=0.2,
        guest_share=0.18,
    ),
    Genre(
        name="soul",
        weight=0.6,
        features=_normals(
            danceability=(0.6, 0.1), energy=(0.55, 0.13), valence=(0.65, 0.18), acousticness=(0.4, 0.2),
            instrumentalness=(0.02, 0.04), speechiness=(0.05, 0.02), liveness=(0.18, 0.1), tempo=(112, 20),
            loudness=(-9, 2.5),
        ),
        era=Era(1960, 1968, 1980),
        minutes=Normal(3.0, 0.5),
        subgenres=(
            Subgenre(
                "motown",
                _normals(danceability=(0.66, 0.08), valence=(0.75, 0.13)),
                era=Era(1960, 1966, 1975),
                instruments=("bass guitar", "tambourine"),
            ),
            Subgenre(
                "northern soul",
                _normals(energy=(0.7, 0.1), tempo=(124, 10)),
                era=Era(1965, 1968, 1980),
                instruments=("brass", "piano"),
            ),
            Subgenre(
                "southern soul",
                _normals(valence=(0.55, 0.2), tempo=(100, 18)),
                era=Era(1962, 1968, 1978),
                instruments=("organ", "brass"),
            ),
            Subgenre(
                "retro soul",
                _normals(loudness=(-7, 2)),
                era=Era(2004, 2012, 2025),
                instruments=("brass", "organ"),
            ),
        ),
        instruments=("organ", "brass", "bass guitar", "piano", "drums"),
        artist_patterns=SINGER_NAMES + BANDLEADER_NAMES,
        major_share=0.65,
        guest_share=0.04,
        live_share=0.06,
    ),
    Genre(
        name="funk",
        weight=0.5,
        features=_normals(
            danceability=(0.76, 0.07), energy=(0.7, 0.1), valence=(0.76, 0.14), acousticness=(0.12, 0.1),
            instrumentalness=(0.15, 0.2), speechiness=(0.07, 0.04), liveness=(0.18, 0.1), tempo=(110, 8),
            loudness=(-7.5, 2.2),
        ),
        era=Era(1967, 1976, 2025),
        minutes=Normal(4.5, 1.2),
        subgenres=(
            Subgenre(
                "p-funk",
                era=Era(1970, 1976, 1985),
                instruments=("synthesizer", "bass guitar", "clavinet"),
            ),
            Subgenre(
                "funk rock",
                _normals(energy=(0.82, 0.08)),
                era=Era(1970, 1990, 2010),
                instruments=("electric guitar", "bass guitar"),
            ),
            Subgenre(
                "disco",
                _normals(danceability=(0.8, 0.05), tempo=(120, 4)),
                era=Era(1974, 1978, 1983),
                instruments=("strings", "bass guitar"),
            ),
        ),
        instruments=("bass guitar", "electric guitar", "clavinet", "brass", "drums"),
        artist_patterns=BANDLEADER_NAMES + BAND_NAMES,
        major_share=0.5,
        explicit_share=0.03,
        guest_share=0.05,
        live_share=0.06,
    ),
    Genre(
        name="metal",
        weight=0.8,
        features=_normals(
            danceability=(0.38, 0.1), energy=(0.92, 0.05), valence=(0.25, 0.12), acousticness=(0.01, 0.02),
            instrumentalness=(0.15, 0.2), speechiness=(0.08, 0.04), liveness=(0.2, 0.1), tempo=(138, 25),
            loudness=(-4.5, 1.3),
        ),
        era=Era(1970, 1990, 2025),
        minutes=Normal(5.0, 1.3),
        subgenres=(
            Subgenre("heavy metal", _normals(valence=(0.35, 0.15)), era=Era(1970, 1983, 2025)),
            Subgenre(
                "thrash metal",
                _normals(energy=(0.95, 0.03), tempo=(170, 14)),
                era=Era(1983, 1988, 2010),
            ),
            Subgenre(
                "doom metal",
                _normals(energy=(0.75, 0.1), valence=(0.12, 0.07), tempo=(72, 10)),
                era=Era(1970, 1995, 2025),
                minutes=Normal(8.0, 2.5),
            ),
            Subgenre(
                "metalcore",
                _normals(speechiness=(0.1, 0.05), tempo=(150, 20)),
                era=Era(1998, 2010, 2025),
            ),
        ),
        instruments=("electric guitar", "bass guitar", "drums"),
        artist_patterns=BAND_NAMES,
        major_share=0.35,
        explicit_share=0.15,
        guest_share=0.02,
        live_share=0.05,
    ),
    Genre(
        name="reggae",
        weight=0.5,
        features=_normals(
            danceability=(0.74, 0.07), energy=(0.55, 0.12), valence=(0.7, 0.15), acousticness=(0.2, 0.15),
            instrumentalness=(0.08, 0.15), speechiness=(0.1, 0.05), liveness=(0.15, 0.08), tempo=(80, 10),
            loudness=(-8, 2.2),
        ),
        era=Era(1968, 1978, 2025),
        minutes=Normal(4.0, 0.7),
        subgenres=(
            Subgenre(
                "roots reggae",
                era=Era(1968, 1977, 1995),
                instruments=("bass guitar", "organ", "electric guitar"),
            ),
            Subgenre(
                "dub",
                _normals(instrumentalness=(0.6, 0.25), speechiness=(0.05, 0.03)),
                era=Era(1970, 1977, 2005),
                instruments=("bass guitar", "melodica"),
            ),
            Subgenre(
                "dancehall",
                _normals(energy=(0.7, 0.1), speechiness=(0.16, 0.07), tempo=(98, 8)),
                era=Era(1980, 2005, 2025),
                explicit_share=0.2,
                instruments=("drum machine", "synthesizer"),
            ),
        ),
        instruments=("bass guitar", "organ", "electric guitar", "drums"),
        artist_patterns=SOUND_SYSTEM_NAMES,
        explicit_share=0.05,
        guest_share=0.08,
    ),
    Genre(
        name="latin",
        weight=0.9,
        features=_normals(
            danceability=(0.74, 0.08), energy=(0.72, 0.12), valence=(0.7, 0.15), acousticness=(0.25, 0.2),
            instrumentalness=(0.03, 0.06), speechiness=(0.08, 0.05), liveness=(0.16, 0.08), tempo=(110, 20),
            loudness=(-5.5, 2),
        ),
        era=Era(1965, 2012, 2025),
        minutes=Normal(3.6, 0.6),
        subgenres=(
            Subgenre(
                "reggaeton",
                _normals(speechiness=(0.12, 0.06), tempo=(94, 4)),
                era=Era(2000, 2018, 2025),
                explicit_share=0.35,
                instruments=("drum machine", "synthesizer"),
            ),
            Subgenre(
                "salsa",
                _normals(energy=(0.75, 0.1), acousticness=(0.35, 0.2), tempo=(170, 12), loudness=(-7, 2)),
                era=Era(1965, 1978, 2005),
                instruments=("congas", "timbales", "trumpet", "piano"),
            ),
            Subgenre(
                "bossa nova",
                _normals(
                    danceability=(0.6, 0.08), energy=(0.28, 0.1), valence=(0.55, 0.18),
                    acousticness=(0.85, 0.1), tempo=(128, 12), loudness=(-13, 3),
                ),
                era=Era(1960, 1964, 1985),
                explicit_share=0.0,
                instruments=("acoustic guitar", "piano"),
            ),
            Subgenre("latin pop", era=Era(1990, 2010, 2025), instruments=("acoustic guitar", "synthesizer")),
        ),
        instruments=("congas", "acoustic guitar", "trumpet", "piano"),
        artist_patterns=SINGER_NAMES + BAND_NAMES,
        major_share=0.55,
        explicit_share=0.08,
        guest_share=0.2,
    ),
    Genre(
        name="blues",
        weight=0.5,
        features=_normals(
            danceability=(0.52, 0.1), energy=(0.5, 0.15), valence=(0.5, 0.2), acousticness=(0.5, 0.25),
            instrumentalness=(0.08, 0.12), speechiness=(0.05, 0.03), liveness=(0.22, 0.12), tempo=(105, 22),
            loudness=(-9, 3),
        ),
        era=Era(1960, 1966, 2025),
        minutes=Normal(4.2, 1.0),
        subgenres=(
            Subgenre(
                "delta blues",
                _normals(energy=(0.3, 0.1), acousticness=(0.88, 0.08), loudness=(-13, 3)),
                era=Era(1960, 1962, 1980),
                instruments=("acoustic guitar", "slide guitar", "harmonica"),
            ),
            Subgenre(
                "chicago blues",
                era=Era(1960, 1965, 1990),
                instruments=("electric guitar", "harmonica", "piano"),
            ),
            Subgenre(
                "blues rock",
                _normals(energy=(0.72, 0.12), acousticness=(0.12, 0.1), loudness=(-7, 2)),
                era=Era(1966, 1972, 2025),
                instruments=("electric guitar", "bass guitar", "drums"),
            ),
        ),
        instruments=("electric guitar", "harmonica", "slide guitar", "piano"),
        artist_patterns=SINGER_NAMES + BANDLEADER_NAMES,
        major_share=0.7,
        explicit_share=0.02,
        live_share=0.12,
        title_patterns=("{noun} Blues", "{first} Blues", "{gerund} Blues"),
    ),
    Genre(
        name="lo-fi",
        weight=0.6,
        features=_normals(
            danceability=(0.66, 0.08), energy=(0.3, 0.1), valence=(0.42, 0.16), acousticness=(0.6, 0.2),
            instrumentalness=(0.82, 0.12), speechiness=(0.07, 0.03), liveness=(0.11, 0.05), tempo=(82, 8),
            loudness=(-12, 2.5),
        ),
        era=Era(2013, 2019, 2025),
        minutes=Normal(2.3, 0.5),
        subgenres=(
            Subgenre("lo-fi hip hop", instruments=("sampler", "drum machine")),
            Subgenre(
                "chillhop", _normals(valence=(0.5, 0.15), tempo=(88, 6)), instruments=("electric piano",)
            ),
            Subgenre("jazzhop", instruments=("electric piano", "double bass", "saxophone")),
        ),
        instruments=("sampler", "electric piano", "drum machine", "acoustic guitar"),
        artist_patterns=LOFI_NAMES,
        major_share=0.5,
        guest_share=0.06,
        lowercase=True,
    ),
)
# fmt: on
GENRES_BY_NAME: dict[str, Genre] = {genre.name: genre for genre in GENRES}
# Who plausibly features on whose track; a genre not listed only invites its own artists.
GUEST_GENRES: dict[str, tuple[str, ...]] = {
    "pop": ("pop", "hip hop", "electronic", "r&b", "latin"),
    "hip hop": ("hip hop", "r&b", "pop"),
    "r&b": ("r&b", "hip hop", "soul"),
    "latin": ("latin", "pop", "hip hop"),
    "electronic": ("electronic", "pop", "r&b"),
    "reggae": ("reggae", "hip hop"),
}
# Instruments that cannot carry a very acoustic recording.
ELECTRIC_INSTRUMENTS = frozenset(
    {"synthesizer", "drum machine", "sampler", "808", "electric guitar", "electric piano", "turntables"}
)
ACOUSTIC_CUTOFF = 0.7

# --- tags from features -----------------------------------------------------------------------

# (mood, valence range, energy range): the usual valence/energy quadrants of music mood research.
# Regions overlap so a track can carry two moods; a track outside all of them gets the nearest.
MOOD_REGIONS: tuple[tuple[str, tuple[float, float], tuple[float, float]], ...] = (
    ("happy", (0.65, 1.0), (0.45, 1.0)),
    ("uplifting", (0.55, 1.0), (0.55, 0.85)),
    ("energetic", (0.0, 1.0), (0.8, 1.0)),
    ("aggressive", (0.0, 0.3), (0.85, 1.0)),
    ("dark", (0.0, 0.3), (0.55, 1.0)),
    ("sad", (0.0, 0.25), (0.0, 0.5)),
    ("melancholic", (0.15, 0.45), (0.15, 0.55)),
    ("relaxing", (0.3, 1.0), (0.0, 0.35)),
    ("chill", (0.35, 0.8), (0.25, 0.55)),
    ("peaceful", (0.5, 1.0), (0.0, 0.25)),
)
# The mood a "love" theme brings with it.
ROMANTIC_THEME, ROMANTIC_MOOD = "love", "romantic"
# A theme fits a track only when every listed feature is in range, so a workout track is always
# energetic and a sleep track always quiet.
THEME_RULES: dict[str, dict[str, tuple[float, float]]] = {
    "workout": {"energy": (0.75, 1.0), "tempo": (115.0, 200.0)},
    "party": {"danceability": (0.7, 1.0), "energy": (0.65, 1.0)},
    "summer": {"valence": (0.6, 1.0), "danceability": (0.55, 1.0)},
    "road trip": {"energy": (0.5, 0.85), "valence": (0.45, 1.0), "speechiness": (0.0, 0.2)},
    "night": {"energy": (0.2, 0.7), "valence": (0.0, 0.45)},
    "love": {
        "valence": (0.35, 0.8),
        "energy": (0.2, 0.65),
        "speechiness": (0.0, 0.15),
        "instrumentalness": (0.0, 0.3),
    },
    "rainy day": {"valence": (0.0, 0.4), "energy": (0.0, 0.5), "acousticness": (0.4, 1.0)},
    "study": {"energy": (0.0, 0.5), "speechiness": (0.0, 0.1), "instrumentalness": (0.5, 1.0)},
    "sleep": {"energy": (0.0, 0.25), "loudness": (-35.0, -12.0), "tempo": (50.0, 110.0)},
}
OTHER_TAG_RULES: dict[str, dict[str, tuple[float, float]]] = {
    "live": {"liveness": (0.7, 1.0)},
    "instrumental": {"instrumentalness": (0.75, 1.0)},
    "acoustic": {"acousticness": (0.85, 1.0)},
}


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
    if ROMANTIC_THEME in themes:
        moods.append(ROMANTIC_MOOD)
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
