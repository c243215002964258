"""The prompt's language, and a curated reading of Spanish, French, German and Portuguese into the
English the grammar and lexicon understand (no Django imports).

The text model is English-only, so a prompt in another language is first rewritten word by word
through a small curated vocabulary: negations ("sin", "sans", "ohne", "sem", "pas de", "kein"),
the main moods, genres, activities, numbers and units. Words the vocabulary does not hold stay
as they are and are reported as not understood; nothing is guessed silently.
"""

from __future__ import annotations

import re
from functools import lru_cache

ENGLISH = "en"
READ_LANGUAGES = ("en", "es", "fr", "de", "pt")
# Detected so the listener can be told plainly that they are not read (the prompt is read as
# English); ISO code -> lingua's name.
UNREAD_LANGUAGES = {"it": "ITALIAN", "nl": "DUTCH"}
# Their commonest small words: short English prompts look Dutch or Italian to the detector, so
# one of these must be there too.
UNREAD_FUNCTION_WORDS = {
    "it": {"per", "senza", "di", "il", "della", "con", "che", "canzoni", "musica"},
    "nl": {"om", "te", "zonder", "met", "voor", "het", "een", "muziek", "liedjes"},
}
MIN_CONFIDENCE_UNREAD = 0.8
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
}
# Below this many letters a detector's guess is noise ("jazz" is as French as it is English).
MIN_LETTERS_TO_DETECT = 8

_COMMON_ROMANCE = {
    "triste": "sad",
    "tristes": "sad",
    "rap": "rap",
    "jazz": "jazz",
    "rock": "rock",
    "pop": "pop",
    "reggae": "reggae",
    "metal": "metal",
    "romántica": "romantic",
    "romántico": "romantic",
}

VOCABULARY: dict[str, dict[str, str]] = {
    "es": {
        **_COMMON_ROMANCE,
        "sin": "without",
        "nada de": "no",
        "no quiero": "no",
        "excepto": "except",
        "menos": "except",
        "música": "music",
        "musica": "music",
        "canciones": "songs",
        "canción": "song",
        "temas": "songs",
        "para": "for",
        "de": "of",
        "del": "of the",
        "el": "the",
        "la": "the",
        "los": "the",
        "las": "the",
        "un": "a",
        "una": "a",
        "y": "and",
        "o": "or",
        "con": "with",
        "muy": "very",
        "un poco": "a bit",
        "alegre": "happy",
        "alegres": "happy",
        "feliz": "happy",
        "felices": "happy",
        "llorar": "crying",
        "tranquila": "calm",
        "tranquilo": "calm",
        "tranquilas": "calm",
        "relajante": "relaxing",
        "relajantes": "relaxing",
        "suave": "soft",
        "suaves": "soft",
        "enérgica": "energetic",
        "enérgicas": "energetic",
        "energía": "energy",
        "bailar": "dancing",
        "fiesta": "party",
        "gimnasio": "gym",
        "el gimnasio": "the gym",
        "correr": "running",
        "entrenar": "workout",
        "estudiar": "study",
        "dormir": "sleep",
        "cena": "dinner",
        "conducir": "driving",
        "viaje": "road trip",
        "verano": "summer",
        "lluvioso": "rainy",
        "lluviosa": "rainy",
        "domingo": "sunday",
        "noche": "night",
        "toda la noche": "all night",
        "latinas": "latin",
        "latina": "latin",
        "latinos": "latin",
        "reguetón": "reggaeton",
        "reggaetón": "reggaeton",
        "lenta": "slow",
        "lentas": "slow",
        "rápida": "fast",
        "rápidas": "fast",
        "años": "",
        "minutos": "minutes",
        "hora": "hour",
        "una hora": "an hour",
        "horas": "hours",
        "sin voz": "no vocals",
        "instrumental": "instrumental",
        "en vivo": "live",
        "antigua": "old",
        "clásica": "classical",
    },
    "fr": {
        **_COMMON_ROMANCE,
        "sans": "without",
        "pas de": "no",
        "pas d'": "no ",
        "aucun": "no",
        "aucune": "no",
        "sauf": "except",
        "musique": "music",
        "musiques": "music",
        "chansons": "songs",
        "chanson": "song",
        "morceaux": "tracks",
        "pour": "for",
        "de": "of",
        "du": "of the",
        "des": "some",
        "le": "the",
        "la": "the",
        "les": "the",
        "l'": "the ",
        "un": "a",
        "une": "a",
        "et": "and",
        "ou": "or",
        "avec": "with",
        "très": "very",
        "un peu": "a bit",
        "douce": "soft",
        "doux": "soft",
        "calme": "calm",
        "calmes": "calm",
        "relaxante": "relaxing",
        "relaxantes": "relaxing",
        "joyeuse": "happy",
        "joyeuses": "happy",
        "joyeux": "happy",
        "heureuse": "happy",
        "heureux": "happy",
        "énergique": "energetic",
        "énergiques": "energetic",
        "danser": "dancing",
        "fête": "party",
        "soirée": "party",
        "courir": "running",
        "sport": "workout",
        "le sport": "workout",
        "étudier": "study",
        "travailler": "focus",
        "dormir": "sleep",
        "dîner": "dinner",
        "voiture": "driving",
        "été": "summer",
        "l'été": "summer",
        "pluvieux": "rainy",
        "pluvieuse": "rainy",
        "dimanche": "sunday",
        "nuit": "night",
        "lente": "slow",
        "lentes": "slow",
        "rapide": "fast",
        "rapides": "fast",
        "minutes": "minutes",
        "heure": "hour",
        "une heure": "an hour",
        "heures": "hours",
        "en direct": "live",
        "classique": "classical",
    },
    "de": {
        "ohne": "without",
        "kein": "no",
        "keine": "no",
        "keinen": "no",
        "nicht": "not",
        "außer": "except",
        "musik": "music",
        "lieder": "songs",
        "songs": "songs",
        "lied": "song",
        "für": "for",
        "zum": "for",
        "zur": "for",
        "einen": "a",
        "eine": "a",
        "ein": "a",
        "das": "the",
        "die": "the",
        "der": "the",
        "und": "and",
        "oder": "or",
        "mit": "with",
        "sehr": "very",
        "ein bisschen": "a bit",
        "ruhige": "calm",
        "ruhig": "calm",
        "ruhiger": "calm",
        "entspannte": "relaxing",
        "entspannt": "relaxing",
        "entspannende": "relaxing",
        "sanfte": "soft",
        "traurige": "sad",
        "traurig": "sad",
        "fröhliche": "happy",
        "fröhlich": "happy",
        "glückliche": "happy",
        "energische": "energetic",
        "tanzen": "dancing",
        "party": "party",
        "laufen": "running",
        "joggen": "running",
        "trainieren": "workout",
        "training": "workout",
        "fitnessstudio": "gym",
        "lernen": "study",
        "arbeiten": "focus",
        "schlafen": "sleep",
        "einschlafen": "falling asleep",
        "abendessen": "dinner",
        "autofahrt": "driving",
        "sommer": "summer",
        "regentag": "rainy day",
        "regnerischen": "rainy",
        "sonntag": "sunday",
        "nacht": "night",
        "langsame": "slow",
        "schnelle": "fast",
        "minuten": "minutes",
        "stunde": "hour",
        "eine stunde": "an hour",
        "stunden": "hours",
        "rap": "rap",
        "jazz": "jazz",
        "rock": "rock",
        "klassische": "classical",
    },
    "pt": {
        **_COMMON_ROMANCE,
        "sem": "without",
        "nada de": "no",
        "exceto": "except",
        "música": "music",
        "musica": "music",
        "músicas": "songs",
        "canções": "songs",
        "canção": "song",
        "para": "for",
        "de": "of",
        "do": "of the",
        "da": "of the",
        "o": "the",
        "a": "the",
        "os": "the",
        "as": "the",
        "um": "a",
        "uma": "a",
        "e": "and",
        "ou": "or",
        "com": "with",
        "muito": "very",
        "um pouco": "a bit",
        "calma": "calm",
        "calmas": "calm",
        "tranquila": "calm",
        "relaxante": "relaxing",
        "relaxantes": "relaxing",
        "suave": "soft",
        "suaves": "soft",
        "alegre": "happy",
        "alegres": "happy",
        "feliz": "happy",
        "felizes": "happy",
        "dançar": "dancing",
        "festa": "party",
        "academia": "gym",
        "correr": "running",
        "treinar": "workout",
        "estudar": "study",
        "dormir": "sleep",
        "jantar": "dinner",
        "dirigir": "driving",
        "verão": "summer",
        "o verão": "summer",
        "chuvoso": "rainy",
        "domingo": "sunday",
        "noite": "night",
        "lenta": "slow",
        "lentas": "slow",
        "rápida": "fast",
        "minutos": "minutes",
        "hora": "hour",
        "uma hora": "an hour",
        "horas": "hours",
        "ao vivo": "live",
        "clássica": "classical",
    },
}

# Comparisons, lyrics and decades, as each language writes them ("más de 150 bpm", "sans
# paroles", "ohne Gesang", "anos 80", "der 80er"): hard constraints must not be misread.
_DECADES = (50, 60, 70, 80, 90)
VOCABULARY["es"].update(
    {
        "más de": "over",
        "mas de": "over",
        "menos de": "under",
        "al menos": "at least",
        "como mucho": "at most",
        "entre": "between",
        "letra": "lyrics",
        "letras": "lyrics",
        "sin letra": "without lyrics",
        "los noventa": "the 90s",
        "los ochenta": "the 80s",
        "los setenta": "the 70s",
        "los sesenta": "the 60s",
        **{f"los {decade}": f"the {decade}s" for decade in _DECADES},
        **{f"años {decade}": f"{decade}s" for decade in _DECADES},
    }
)
VOCABULARY["fr"].update(
    {
        "plus de": "over",
        "moins de": "under",
        "au moins": "at least",
        "au plus": "at most",
        "entre": "between",
        "paroles": "lyrics",
        "chant": "singing",
        **{f"années {decade}": f"{decade}s" for decade in _DECADES},
    }
)
VOCABULARY["de"].update(
    {
        "über": "over",
        "unter": "under",
        "mindestens": "at least",
        "höchstens": "at most",
        "zwischen": "between",
        "gesang": "vocals",
        "text": "lyrics",
        **{f"{decade}er": f"{decade}s" for decade in _DECADES},
        **{f"{decade}er jahre": f"{decade}s" for decade in _DECADES},
    }
)
VOCABULARY["pt"].update(
    {
        "mais de": "over",
        "menos de": "under",
        "pelo menos": "at least",
        "no máximo": "at most",
        "entre": "between",
        "letra": "lyrics",
        "sem letra": "without lyrics",
        "animada": "upbeat",
        "animadas": "upbeat",
        "animado": "upbeat",
        "animados": "upbeat",
        **{f"anos {decade}": f"{decade}s" for decade in _DECADES},
    }
)

# Words only one of the languages uses; a prompt holding one is read in that language even
# when it is too short for the detector.
_SHARED_WITH_ENGLISH = {
    "rap",
    "jazz",
    "rock",
    "pop",
    "reggae",
    "metal",
    "party",
    "songs",
    "sport",
    "training",
}
_SHARED_WITH_ENGLISH |= {"minutes", "instrumental", "a", "o", "e", "de", "do", "as", "un", "le", "die", "the"}


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(
            Language.ENGLISH,
            Language.SPANISH,
            Language.FRENCH,
            Language.GERMAN,
            Language.PORTUGUESE,
            *(getattr(Language, name) for name in UNREAD_LANGUAGES.values()),
        )
        .with_low_accuracy_mode()
        .build()
    )


def _vocabulary_hits(text: str, language: str) -> int:
    words = set(re.findall(r"[\w']+", text))
    return sum(1 for word in words if word in VOCABULARY[language] and word not in _SHARED_WITH_ENGLISH)


def detect_language(text: str) -> str:
    """An ISO 639-1 code among READ_LANGUAGES; "en" unless the evidence says otherwise."""
    text = text.lower()
    letters = sum(1 for character in text if character.isalpha())
    hits = {language: _vocabulary_hits(text, language) for language in VOCABULARY}
    if letters < MIN_LETTERS_TO_DETECT and not any(hits.values()):
        return ENGLISH
    confidences = {
        value.language.iso_code_639_1.name.lower(): value.value
        for value in _detector().compute_language_confidence_values(text)
    }
    best = max(confidences, key=lambda code: confidences[code])
    if best in UNREAD_LANGUAGES:
        words = set(re.findall(r"[\w']+", text))
        if confidences[best] >= MIN_CONFIDENCE_UNREAD and words & UNREAD_FUNCTION_WORDS[best]:
            return best
        best = max(
            (code for code in confidences if code not in UNREAD_LANGUAGES), key=confidences.__getitem__
        )
    # Curated words weigh most; the detector's confidence breaks ties ("música" is es and pt).
    foreign = max(hits, key=lambda code: hits[code] + confidences.get(code, 0.0))
    if best == ENGLISH:
        return foreign if hits[foreign] >= 2 else ENGLISH
    # Without one curated word the prompt could not be read in that language anyway, and short
    # English prompts ("no gangster rap") look German to the detector: read it as English.
    return foreign if hits[foreign] >= 1 else ENGLISH


def to_english(text: str, language: str) -> tuple[str, list[str]]:
    """``text`` rewritten through the curated vocabulary of ``language``, and the words it had no
    entry for (left in place, to be reported)."""
    if language not in VOCABULARY:
        return text, []
    # The detected language first; the others' words next, since short prompts in neighbouring
    # languages are easily taken for each other ("música para correr, más de 150" for Portuguese).
    vocabulary = {
        phrase: english
        for other in (*(name for name in VOCABULARY if name != language), language)
        for phrase, english in VOCABULARY[other].items()
    }
    phrases = sorted(vocabulary, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w'])(" + "|".join(re.escape(phrase) for phrase in phrases) + r")(?![\w])")
    translated = pattern.sub(lambda match: f" {vocabulary[match[1]]} ", text.lower())
    leftover_source = pattern.sub(" ", text.lower())
    unknown = [word for word in re.findall(r"[^\W\d_]+", leftover_source) if len(word) > 1]
    return re.sub(r"\s+", " ", translated).strip(), unknown
