"""The mood / activity / character lexicon prompts are matched against (no Django imports).

Each entry is a label the listener sees as a chip, several phrasings that are embedded (so an
unseen phrasing lands on the nearest entry by cosine similarity), and what it means: soft
audio-feature ranges and, for genre aliases, hints resolved to the catalog's own tags.
Ranges sit a little inside the natural cut-offs (e.g. "happy" is valence >= 0.65 rather than
0.6) so tracks chosen for fitting them fit with a margin.
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
        ("cheerful", "joyful", "feel good", "feel-good", "sunny mood", "uplifting", "positive", "fun"),
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
        ("soft", "gentle", "quiet", "low key", "subdued", "smooth", "warm and mellow", "rainy day", "cozy"),
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
        {"valence": (0.5, 1.0), "tempo": (118.0, 220.0)},
    ),
    _entry(
        "slow",
        "mood",
        ("slow paced", "downtempo", "ballads", "ballad", "slowed down", "slow burning"),
        {"energy": (0.0, 0.5), "tempo": (0.0, 110.0)},
        weights={"tempo": 0.4},
    ),
    _entry(
        "fast",
        "mood",
        ("fast paced", "high tempo", "speedy", "rapid", "quick tempo"),
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
        ("bedtime", "lullaby", "falling asleep", "nap", "to sleep to", "insomnia"),
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
        ("no vocals", "without vocals", "no lyrics", "without lyrics", "no singing", "instrumentals"),
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
        ("popular", "chart toppers", "top hits", "mainstream", "famous", "best known", "chart hits"),
        {"popularity": (62.0, 100.0)},
    ),
    _entry(
        "deep cuts",
        "character",
        ("obscure", "underground", "hidden gems", "lesser known", "underrated"),
        {"popularity": (0.0, 35.0)},
    ),
    _entry("loud", "character", ("noisy", "blasting"), {"loudness": (-6.0, 5.0)}),
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
    _entry("edm", "genre", ("electronic dance music", "electronic", "electronica"), tags=("edm",)),
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
