"""The mood / activity / character lexicon prompts are matched against (no Django imports).

Each entry is a label the listener sees as a chip, several phrasings that are embedded (so an
unseen phrasing lands on the nearest entry by cosine similarity), and what it means: soft
audio-feature ranges and, for genre aliases, hints resolved to the catalog's own tags.
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

from dataclasses import dataclass, field


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


def _entry(
    label: str,
    kind: str,
    phrases: tuple[str, ...],
    ranges: dict[str, tuple[float, float]] | None = None,
    *,
    weights: dict[str, float] | None = None,
    tags: tuple[str, ...] = (),
) -> LexiconEntry:
    return LexiconEntry(
        label=label,
        kind=kind,
        phrases=(label, *phrases),
        ranges=ranges or {},
        range_weights=weights or {},
        tag_hints=tags,
    )


LEXICON: tuple[LexiconEntry, ...] = (
    # Moods
    _entry(
        "happy",
        "mood",
        (
            "cheerful",
            "joyful",
            "good mood",
            "in a good mood",
            "makes me smile",
            "smile",
            "feel good",
            "feel-good",
            "sunny mood",
            "uplifting",
            "positive",
            "fun",
        ),
        {"valence": (0.65, 1.0)},
    ),
    _entry(
        "sad",
        "mood",
        (
            "melancholic",
            "melancholy",
            "heartbreak",
            "heartbroken",
            "depressing",
            "crying",
            "gloomy",
            "tearjerker",
            "feeling blue",
            "blue mood",
        ),
        {"valence": (0.0, 0.28)},
    ),
    _entry(
        "chill",
        "mood",
        (
            "chilled out",
            "chill out",
            "relaxing",
            "relaxed",
            "calm",
            "laid back",
            "easy listening",
            "soothing",
            "peaceful",
            "unwind",
            "tranquil",
            "serene",
        ),
        {"energy": (0.0, 0.45)},
    ),
    _entry(
        "mellow",
        "mood",
        ("soft", "gentle", "low key", "subdued", "smooth", "warm and mellow", "rainy day", "cozy"),
        {"energy": (0.0, 0.55)},
    ),
    _entry(
        "energetic",
        "mood",
        (
            "high energy",
            "powerful",
            "pumped up",
            "intense",
            "hype",
            "adrenaline",
            "explosive",
            "full of energy",
            "motivational",
            "motivation",
            "gaming",
            "cleaning the house",
        ),
        {"energy": (0.75, 1.0)},
    ),
    _entry(
        "bangers",
        "mood",
        ("banger", "anthems", "festival", "rave", "massive drops", "peak time"),
        {"energy": (0.83, 1.0)},
    ),
    _entry(
        "upbeat",
        "mood",
        ("lively", "peppy", "bouncy", "cheery upbeat", "up tempo"),
        {"valence": (0.5, 1.0), "tempo": (118.0, 220.0), "energy": (0.55, 1.0)},
        weights={"energy": 0.5},
    ),
    _entry(
        "slow",
        "mood",
        (
            "slow paced",
            "slow tempo",
            "low tempo",
            "downtempo",
            "ballads",
            "ballad",
            "slowed down",
            "slow burning",
        ),
        {"energy": (0.0, 0.5), "tempo": (0.0, 110.0)},
        weights={"tempo": 0.4},
    ),
    _entry(
        "fast",
        "mood",
        ("fast paced", "high tempo", "speedy", "rapid", "quick tempo", "uptempo", "up-tempo"),
        {"tempo": (135.0, 250.0)},
    ),
    _entry(
        "dark",
        "mood",
        ("angry", "aggressive", "rage", "furious", "menacing", "brooding"),
        {"valence": (0.0, 0.35), "energy": (0.7, 1.0)},
    ),
    _entry(
        "romantic",
        "mood",
        ("love songs", "sensual", "sexy", "intimate", "date night", "tender"),
        {"energy": (0.0, 0.6)},
        weights={"energy": 0.6},
    ),
    _entry("dreamy", "mood", ("atmospheric", "ethereal", "hazy", "ambient"), {"energy": (0.0, 0.5)}),
    _entry(
        "euphoric",
        "mood",
        ("ecstatic", "blissful", "elated", "on top of the world"),
        {"valence": (0.65, 1.0), "energy": (0.75, 1.0)},
    ),
    _entry(
        "moody",
        "mood",
        ("emotional", "introspective", "bittersweet", "pensive", "in my feelings"),
        {"valence": (0.0, 0.4), "energy": (0.0, 0.6)},
        weights={"energy": 0.5},
    ),
    _entry(
        "groovy",
        "mood",
        ("grooves", "groove", "funky", "danceable groove"),
        {"danceability": (0.68, 1.0)},
        weights={"danceability": 0.6},
    ),
    _entry(
        "dance",
        "character",
        ("dance music", "danceable", "dancing", "club", "dance floor", "clubbing", "to dance to"),
        {"danceability": (0.72, 1.0)},
    ),
    # Activities and contexts
    _entry(
        "workout",
        "activity",
        (
            "gym",
            "training",
            "exercise",
            "running",
            "run",
            "cardio",
            "lifting",
            "work out",
            "5k",
            "spin class",
        ),
        {"energy": (0.78, 1.0), "tempo": (118.0, 220.0)},
    ),
    _entry(
        "party",
        "activity",
        ("celebration", "pregame", "house party", "get the party started", "turn up", "wedding", "birthday"),
        {"danceability": (0.72, 1.0), "energy": (0.6, 1.0)},
        weights={"energy": 0.5},
    ),
    _entry(
        "focus",
        "activity",
        ("study", "studying", "concentration", "concentrate", "reading", "coding", "deep work", "to work to"),
        {"speechiness": (0.0, 0.08), "energy": (0.0, 0.7)},
        weights={"energy": 0.3},
    ),
    _entry(
        "sleep",
        "activity",
        ("bedtime", "lullaby", "lullabies", "falling asleep", "nap", "to sleep to", "insomnia"),
        {"energy": (0.0, 0.3), "acousticness": (0.5, 1.0)},
        weights={"acousticness": 0.4},
    ),
    _entry(
        "dinner",
        "activity",
        ("dinner party", "cooking", "wine", "brunch", "cafe", "coffee shop", "bbq", "cookout"),
        {"energy": (0.2, 0.6), "valence": (0.4, 1.0)},
        weights={"valence": 0.5},
    ),
    _entry(
        "drive",
        "activity",
        ("road trip", "driving", "cruising", "commute", "highway", "long drive"),
        {"energy": (0.6, 0.95), "valence": (0.4, 1.0)},
        weights={"valence": 0.5},
    ),
    _entry(
        "late night",
        "activity",
        ("night", "midnight", "after hours", "slow jams", "3am", "nighttime"),
        {"energy": (0.0, 0.5)},
    ),
    _entry(
        "quiet storm",
        "genre",
        ("smooth late night soul", "slow soul"),
        {"energy": (0.0, 0.5)},
        tags=("r&b",),
    ),
    _entry(
        "summer",
        "activity",
        ("beach", "tropical vibes", "sunshine", "vacation", "pool party", "holiday"),
        {"valence": (0.55, 1.0)},
    ),
    _entry(
        "morning",
        "activity",
        ("wake up", "sunrise", "breakfast", "start the day"),
        {"energy": (0.4, 0.8), "valence": (0.5, 1.0)},
        weights={"energy": 0.5},
    ),
    _entry(
        "meditation",
        "activity",
        ("yoga", "mindfulness", "breathing", "spa"),
        {"energy": (0.0, 0.3), "instrumentalness": (0.4, 1.0)},
        weights={"instrumentalness": 0.5},
    ),
    # Character of the sound
    _entry(
        "acoustic",
        "character",
        ("unplugged", "stripped back", "stripped down"),
        {"acousticness": (0.55, 1.0)},
    ),
    _entry(
        "instrumental",
        "character",
        (
            "no vocals",
            "no vocal",
            "without vocals",
            "no lyrics",
            "without lyrics",
            "no singing",
            "instrumentals",
            "without words",
            "no words",
            "nothing with vocals",
            "no voices",
            "without singing",
        ),
        {"instrumentalness": (0.55, 1.0)},
    ),
    _entry(
        "live",
        "character",
        ("live recording", "live recordings", "concert", "in concert", "live performance", "live versions"),
        {"liveness": (0.8, 1.0)},
    ),
    _entry(
        "lyrical",
        "character",
        ("lots of lyrics", "wordy", "spoken word", "bars", "rapping", "lyric heavy", "many words"),
        {"speechiness": (0.33, 1.0)},
    ),
    _entry(
        "hits",
        "character",
        (
            "popular",
            "chart toppers",
            "top hits",
            "mainstream",
            "famous",
            "best known",
            "chart hits",
            "everyone knows",
            "everybody knows",
            "songs everyone knows",
            "well known",
            "crowd pleasers",
            "biggest hits",
            "singalong classics",
        ),
        {"popularity": (62.0, 100.0)},
    ),
    _entry(
        "deep cuts",
        "character",
        (
            "obscure",
            "underground",
            "hidden gems",
            "lesser known",
            "underrated",
            "nobody has heard",
            "nobody knows",
            "no one knows",
            "no one has heard",
            "rare finds",
            "unknown",
            "not popular",
            "little known",
        ),
        {"popularity": (0.0, 35.0)},
    ),
    _entry("loud", "character", ("noisy", "blasting", "loud music", "cranked up"), {"loudness": (-6.0, 5.0)}),
    _entry(
        "quiet",
        "character",
        ("quiet music", "hushed", "low volume", "soft and quiet", "whisper quiet"),
        {"loudness": (-60.0, -10.0), "energy": (0.0, 0.5)},
        weights={"energy": 0.5},
    ),
    _entry(
        "heavy",
        "mood",
        ("crushing", "hard hitting", "hard-hitting", "brutal", "heavy sound"),
        {"energy": (0.8, 1.0), "loudness": (-7.0, 5.0)},
        weights={"loudness": 0.5},
    ),
    _entry(
        "bright",
        "mood",
        ("sunny", "radiant", "sparkling", "shiny"),
        {"valence": (0.6, 1.0)},
    ),
    _entry(
        "electronic",
        "character",
        ("synth", "synths", "synthetic", "synth heavy", "electronic sounds", "synthesizers", "digital"),
        {"acousticness": (0.0, 0.1)},
    ),
    _entry(
        "vocal",
        "character",
        ("with vocals", "vocals", "vocal tracks", "singing", "sung", "great vocals", "with lyrics", "singer"),
        {"instrumentalness": (0.0, 0.1)},
    ),
    _entry(
        "minor key", "character", ("minor-key", "in minor", "minor keys", "minor mode"), {"mode": (0.0, 0.0)}
    ),
    _entry(
        "major key", "character", ("major-key", "in major", "major keys", "major mode"), {"mode": (1.0, 1.0)}
    ),
    _entry(
        "soul",
        "genre",
        ("soulful", "motown", "old soul", "soul music"),
        {"danceability": (0.55, 1.0)},
        weights={"danceability": 0.3},
        tags=("soul",),
    ),
    _entry(
        "short", "character", ("short songs", "quick songs", "bite-sized"), {"duration_ms": (0.0, 175_000.0)}
    ),
    _entry(
        "long",
        "character",
        ("long songs", "long tracks", "extended", "epic length"),
        {"duration_ms": (300_000.0, 3_600_000.0)},
    ),
    _entry(
        "throwback",
        "character",
        ("old school", "retro", "oldies", "back in the day", "nostalgic"),
        {"release_year": (1950.0, 2005.0)},
        weights={"release_year": 0.4},
    ),
    # Genre aliases: spellings and scene words that embed poorly, resolved to catalog tags.
    _entry("hip hop", "genre", ("hiphop", "hip-hop"), tags=("hip hop", "rap")),
    _entry("dirty south", "genre", ("crunk", "southern rap"), tags=("southern hip hop",)),
    _entry("r&b", "genre", ("rnb", "r and b", "rhythm and blues"), tags=("r&b",)),
    _entry("edm", "genre", ("electronic dance music", "electronica"), tags=("edm",)),
    _entry("reggaeton", "genre", ("perreo", "dembow", "reguetón", "reggaetón"), tags=("reggaeton",)),
)

# Common words of other languages (the model is English-only), folded into the entries above.
FOREIGN_PHRASES: dict[str, tuple[str, ...]] = {
    "happy": ("alegre", "feliz", "joyeux", "heureux", "fröhlich", "allegro"),
    "sad": ("triste", "traurig", "tristeza"),
    "chill": ("tranquila", "tranquilo", "relajante", "calme", "entspannt", "rilassante"),
    "dance": ("bailar", "para bailar", "danser", "tanzen", "ballare"),
    "party": ("fiesta", "fête", "festa"),
    "workout": ("correr", "gimnasio", "entrenar", "courir", "laufen"),
    "sleep": ("dormir", "schlafen", "dormire"),
    "romantic": ("romántica", "romántico", "romantique", "romantisch"),
    "energetic": ("energía", "énergique", "energisch"),
    "summer": ("verano", "été", "sommer", "estate"),
}
LEXICON = tuple(
    LexiconEntry(
        label=entry.label,
        kind=entry.kind,
        phrases=entry.phrases + FOREIGN_PHRASES.get(entry.label, ()),
        ranges=entry.ranges,
        range_weights=entry.range_weights,
        tag_hints=entry.tag_hints,
    )
    for entry in LEXICON
)

# Named energy arcs: keyword phrases (matched literally) -> target energy at start and end.
ENERGY_ARCS: dict[str, tuple[float, float]] = {
    "ramp_up": (0.35, 0.9),
    "ramp_down": (0.85, 0.25),
    "peak": (0.4, 0.4),  # rises to a peak in the middle
    "steady": (0.6, 0.6),
}
ARC_PHRASES: dict[str, tuple[str, ...]] = {
    "ramp_down": (
        "easing into",
        "ease into",
        "wind down",
        "winding down",
        "cool down",
        "cooling down",
        "calm down at the end",
        "calm songs at the end",
        "calm at the end",
        "slowing down",
    ),
    "ramp_up": (
        "build up",
        "building up",
        "ramp up",
        "warm up",
        "warming up",
        "getting faster",
        "gradually more",
    ),
    "peak": ("peak in the middle", "build and release", "rise and fall"),
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
)
# Characters with two sides only: "not acoustic" means electronic (moods are graded: "not sad"
# keeps clear of sad without asking for happy).
BINARY_CHARACTERS = frozenset({"acoustic", "electronic", "vocal", "instrumental", "major key", "minor key"})
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


# Styles of well-known artists a catalog may not hold, as tag hints: "like Radiohead" still says
# something when Radiohead is not there (general knowledge of their genres).
ARTIST_STYLES: dict[str, tuple[str, ...]] = {
    "radiohead": ("alternative rock", "rock"),
    "bad bunny": ("reggaeton", "latin"),
    "bon iver": ("folk", "indie"),
    "björk": ("electronic", "art pop"),
    "fela kuti": ("afrobeat", "funk"),
    "the beatles": ("rock", "classic rock"),
    "beyoncé": ("r&b", "pop"),
    "beyonce": ("r&b", "pop"),
    "kanye west": ("hip hop", "rap"),
    "billie eilish": ("pop", "electropop"),
    "arctic monkeys": ("indie", "rock"),
    "norah jones": ("jazz", "soul"),
    "johnny cash": ("country",),
    "bob marley": ("reggae",),
    "aphex twin": ("electronic", "ambient"),
    "nirvana": ("rock", "punk"),
    "rosalía": ("latin", "flamenco"),
    "rosalia": ("latin", "flamenco"),
    "j balvin": ("reggaeton", "latin"),
    "burna boy": ("afrobeats",),
    "bts": ("k-pop",),
    "mozart": ("classical",),
    "beethoven": ("classical",),
    "john coltrane": ("jazz",),
    "the cure": ("rock", "new wave"),
}
