"""What a prompt compiles to, and the parser that compiles it (no Django imports).

``parse_prompt`` reads numbers, eras, lengths, negations, seed artists and familiarity with
small grammars, then matches what is left against the catalog's own tags and the mood /
activity lexicon by embedding similarity (``Vocabulary``), so an unseen phrasing lands on the
nearest entry. Every extracted piece carries a confidence; the Intent is JSON-safe so the
listener can edit it and regenerate from the edited copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from playlists.engine.grammar import (
    HIGH_WORDS,
    LOW_WORDS,
    NEGATION_CUES,
    Reading,
    Scan,
    decade_words_to_digits,
    expand_free_suffix,
    negated_clauses,
    numbers_to_digits,
    read_directions,
    read_era,
    read_intensity,
    read_lengths,
    read_tempo,
)
from playlists.engine.language import ENGLISH, LANGUAGE_NAMES, READ_LANGUAGES, detect_language, to_english
from playlists.engine.lexicon import (
    ANTONYMS,
    ARC_PHRASES,
    ARTIST_STYLES,
    BINARY_CHARACTERS,
    ENERGY_ARCS,
    FEATURE_SCALES,
    LEXICON,
    LexiconEntry,
    direction_range,
    entry_direction,
    intensified,
)
from playlists.engine.words import is_known_word

MAX_PROMPT_CHARS = 2000
MIN_SIZE, MAX_SIZE = 1, 200
DEFAULT_SIZE = 30
# Seconds an average track lasts, to turn "an hour" into a number of tracks.
AVERAGE_TRACK_SECONDS = 215

# Similarity thresholds (all-MiniLM-L6-v2 cosine) measured on tag and lexicon names.
TAG_MATCH_MIN = 0.68
TAG_FAMILY_MIN = 0.78
LEXICON_MATCH_MIN = 0.62
EXCLUDE_FAMILY_MIN = 0.78
AVOID_MIN = 0.62
EXACT_TAG_MIN = 0.97
SPAN_WORD_BONUS = 0.1


class PromptError(ValueError):
    """The prompt (or a size) cannot be turned into a playlist; the message says why."""


@dataclass
class TagChoice:
    name: str
    confidence: float
    source: str = ""  # the words of the prompt it came from


@dataclass
class FeatureRange:
    """An inclusive range on a Track column, in that column's units: tempo in BPM, duration_ms in
    milliseconds, popularity 0..100, release_year in years, loudness in dB, the rest 0..1.

    ``hard`` ranges (explicit numbers) filter; soft ones (moods, activities) rank, weighted by
    ``confidence``. ``source`` is the lexicon label or the prompt words it came from.
    """

    low: float
    high: float
    hard: bool = False
    confidence: float = 1.0
    source: str = ""


@dataclass
class Intent:
    """A compiled prompt. JSON-safe through to_dict()/from_dict(); the listener may edit any field
    and regenerate from the edited copy. ``era`` is an inclusive (first, last) year range and a
    hard constraint; ``energy_arc`` is "ramp_up", "ramp_down", "peak", "steady" or a list of target
    energies (0..1) over the playlist; ``relaxed`` says which constraints could not be met and
    what was done instead.
    """

    semantic_text: str = ""
    include_tags: list[TagChoice] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    # Tags near an excluded one: ranked down, not forbidden.
    avoid_tags: list[str] = field(default_factory=list)
    exclude_artists: list[str] = field(default_factory=list)
    seed_artists: list[str] = field(default_factory=list)
    feature_ranges: dict[str, FeatureRange] = field(default_factory=dict)
    era: tuple[int, int] | None = None
    size: int | None = None
    duration_seconds: int | None = None
    familiarity: str | None = None  # "new_only", "favourites" or None
    activity: str | None = None
    moods: list[str] = field(default_factory=list)
    energy_arc: str | list[float] | None = None
    relaxed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What the parser could not read, for the listener to see (all default so stored intents load):
    # content words that matched nothing; whether nothing at all was understood (then
    # ``suggestions`` holds example prompts); artists named but not in the catalog; the prompt's
    # language (ISO 639-1); and, after a refinement, which earlier wishes it replaced.
    not_understood: list[str] = field(default_factory=list)
    nothing_understood: bool = False
    suggestions: list[str] = field(default_factory=list)
    unknown_artists: list[str] = field(default_factory=list)
    language: str = "en"
    replaced: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["era"] = list(self.era) if self.era else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Intent:
        """The Intent of ``to_dict()`` output, possibly edited; PromptError when it is malformed."""
        try:
            return cls._from_dict(data)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            raise PromptError(f"The edited intent is not valid: {error}") from error

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Intent:
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        values["include_tags"] = [TagChoice(**tag) for tag in values.get("include_tags", [])]
        values["feature_ranges"] = {
            str(feature): _checked_range(FeatureRange(**spec))
            for feature, spec in values.get("feature_ranges", {}).items()
        }
        era = values.get("era")
        values["era"] = (int(era[0]), int(era[1])) if era else None
        for key in (
            "exclude_tags",
            "avoid_tags",
            "exclude_artists",
            "seed_artists",
            "moods",
            "relaxed",
            "warnings",
            "not_understood",
            "suggestions",
            "unknown_artists",
            "replaced",
        ):
            values[key] = list(values.get(key, []))
        return cls(**values)

    def target_size(self, default: int = DEFAULT_SIZE) -> int:
        if self.size:
            return self.size
        if self.duration_seconds:
            return size_for_duration(self.duration_seconds)
        return default

    def include_tag_names(self) -> list[str]:
        return [tag.name for tag in self.include_tags]

    def hard_ranges(self) -> dict[str, tuple[float, float]]:
        return {name: (spec.low, spec.high) for name, spec in self.feature_ranges.items() if spec.hard}


def _checked_range(spec: FeatureRange) -> FeatureRange:
    spec.low, spec.high, spec.confidence = float(spec.low), float(spec.high), float(spec.confidence)
    if not 0.0 <= spec.confidence <= 1.0:
        raise ValueError(f"confidence {spec.confidence} is outside 0..1")
    return spec


class Vocabulary(Protocol):
    """What the parser matches words against; built Django-side from the catalog."""

    @property
    def tag_names(self) -> Sequence[str]: ...

    @property
    def tag_vectors(self) -> np.ndarray: ...  # (n_tags, dims), unit rows

    @property
    def tag_children(self) -> Mapping[str, Sequence[str]]: ...  # tag -> narrower tags that imply it

    @property
    def lexicon(self) -> Sequence[LexiconEntry]: ...

    @property
    def phrase_owner(self) -> Sequence[int]: ...  # lexicon phrase row -> index into lexicon

    @property
    def phrase_vectors(self) -> np.ndarray: ...  # (n_phrases, dims), unit rows

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def find_artist(self, text: str) -> str | None: ...


# --- the parts the grammar leaves to this module -----------------------------------------------

_STOP_WORDS_TEXT = """
    a an the and or of to for in on at by from with some any my me i i'm im we us our you your
    please give make play create want need put get songs song tracks track music mix playlist
    playlists tunes stuff things something kind sort type types bit more but very really just like
    that this these those good great best nice perfect vibe vibes vibey beats sounds sound list set
    selection collection while when during is are be it its it's all also new only quick break
    whatever anything everything let's lets can could would should will have has had do does some
    one ones all about around over into up down out off as than then there their them they it's
    i'd i'll i've me myself let go going listen listening hear hearing heard time times
    super extremely quite pretty slightly somewhat little kinda fairly rather
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_WORD = re.compile(r"[\w&'+]+(?:-[\w&'+]+)*", re.UNICODE)


@dataclass
class _Scan:
    """The prompt being read: readers blank out what they consumed."""

    text: str
    intent: Intent

    def consume(self, match: re.Match[str]) -> None:
        start, end = match.span()
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def _set_range(intent: Intent, feature: str, low: float, high: float, *, source: str) -> None:
    intent.feature_ranges[feature] = FeatureRange(
        low=low, high=high, hard=True, confidence=1.0, source=source.strip()
    )


def _read_grammar(scan: _Scan) -> Reading:
    """Numbers, bounds, eras, intensities and directions, read literally before any matching."""
    grammar_scan = Scan(text=scan.text)
    read_tempo(grammar_scan)
    read_lengths(grammar_scan)
    read_era(grammar_scan)
    read_directions(grammar_scan)
    read_intensity(grammar_scan)
    reading = grammar_scan.reading
    intent = scan.intent
    if reading.tempo:
        _set_range(intent, "tempo", *reading.tempo, source=reading.sources.get("tempo", ""))
    if reading.track_ms:
        _set_range(intent, "duration_ms", *reading.track_ms, source=reading.sources.get("duration_ms", ""))
    intent.era = reading.era
    intent.size = reading.size
    intent.duration_seconds = reading.duration_seconds
    for feature, side, words in reading.directions:
        column, (low, high) = direction_range(feature, side)
        intent.feature_ranges[column] = FeatureRange(low, high, False, 1.0, words)
    scan.text = grammar_scan.text
    return reading


FAMILIARITY_PATTERNS = {
    "new_only": r"\b(?:(?:i|i've|i have)\s+(?:haven'?t|have not|never)\s+(?:heard|listened to)(?:\s+before)?"
    r"|new to me|never heard|not heard|unheard|fresh finds|discover(?:y|ies)?|songs i don'?t know)\b",
    "favourites": r"\b(?:my (?:favou?rites?|faves|top songs|top tracks|most played)|songs i love"
    r"|tracks i love|i love most|i like most)\b",
}


def _read_familiarity(scan: _Scan) -> None:
    for name, pattern in FAMILIARITY_PATTERNS.items():
        for match in list(re.finditer(pattern, scan.text)):
            scan.intent.familiarity = name
            scan.consume(match)


def _read_arc(scan: _Scan) -> None:
    for arc, phrases in ARC_PHRASES.items():
        pattern = r"\b(?:" + "|".join(re.escape(phrase) for phrase in phrases) + r")\b"
        if re.search(pattern, scan.text):
            scan.intent.energy_arc = arc
            for match in list(re.finditer(pattern, scan.text)):
                scan.consume(match)
            return


SEED_PATTERN = (
    r"\b(?:(?:sounds?|sounding)\s+like|similar to|in the style of|inspired by|reminiscent of|like|fans? of|"
    r"in the vein of|artists like|the likes of)\s+([^,.;!?]+?)"
    r"(?=\s+(?:but|with|for|and then|only|from|without)\b|[,.;!?]|$)"
)
# "Taylor Swift vibes", "Radiohead style songs": a name before a style word.
NAME_BEFORE_STYLE = (
    r"([^\W\d][\w'.&-]*(?:\s+[^\W\d][\w'.&-]*){0,2})\s+(?:vibes|style|type|kind of|esque|-esque)\b"
)


def _read_seed_artists(scan: _Scan, vocabulary: Vocabulary, prompt: str) -> None:
    """Seed artists after "like", "similar to", …; a capitalized name the catalog does not hold
    is an unknown artist, said so and, where known, its style used."""
    for match in list(re.finditer(SEED_PATTERN, scan.text)):
        known, unknown = _artist_names(match[1], vocabulary, prompt)
        scan.intent.seed_artists.extend(name for name in known if name not in scan.intent.seed_artists)
        scan.intent.unknown_artists.extend(
            name for name in unknown if name not in scan.intent.unknown_artists
        )
        if known or unknown:
            scan.consume(match)
    for match in list(re.finditer(NAME_BEFORE_STYLE, scan.text)):
        for start in range(len(match[1].split())):
            name = " ".join(match[1].split()[start:])
            artist = vocabulary.find_artist(name)
            original = _original_spelling(prompt, name)
            if artist or (original and original[:1].isupper() and name.lower() in ARTIST_STYLES):
                if artist:
                    scan.intent.seed_artists.append(artist)
                else:
                    scan.intent.unknown_artists.append(original or name)
                scan.consume(match)
                break


def _original_spelling(prompt: str, text: str) -> str | None:
    found = re.search(rf"(?<!\w){re.escape(text)}(?!\w)", prompt, flags=re.IGNORECASE)
    return found[0] if found else None


def _looks_like_a_name(prompt: str, text: str) -> str | None:
    """``text`` as the listener wrote it when every word starts with a capital ("Bon Iver")."""
    original = _original_spelling(prompt, text.removesuffix("'s").strip())
    if not original or not all(word[:1].isupper() for word in original.split()):
        return None
    return original


def _artist_names(text: str, vocabulary: Vocabulary, prompt: str) -> tuple[list[str], list[str]]:
    """Known artist names in ``text`` ("drake and rihanna") and capitalized names the catalog does
    not hold ("Radiohead")."""
    known: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"\s*(?:,|\band\b|\bor\b|&|\bnor\b)\s*", text.strip()):
        part = re.sub(r"'s\b", "", part.strip())
        if not part:
            continue
        artist = vocabulary.find_artist(part) or vocabulary.find_artist(" ".join(part.split()[:3]))
        if artist:
            known.append(artist)
            continue
        name = _looks_like_a_name(prompt, part) or _looks_like_a_name(prompt, " ".join(part.split()[:2]))
        if name or part in ARTIST_STYLES:
            unknown.append(name or part)
    return known, unknown


# --- matching words against tags and the lexicon ----------------------------------------------


@dataclass
class _SpanMatch:
    start: int
    end: int
    text: str
    score: float
    kind: str  # "tag" or "lexicon"
    index: int


def _spans(words: Sequence[str], max_len: int = 3) -> list[tuple[int, int, str]]:
    spans = []
    for start in range(len(words)):
        for length in range(1, max_len + 1):
            end = start + length
            if end > len(words):
                break
            chunk = words[start:end]
            if chunk[0] in STOP_WORDS or chunk[-1] in STOP_WORDS:
                continue
            spans.append((start, end, " ".join(chunk)))
    return spans


def _best_matches(
    words: Sequence[str], vocabulary: Vocabulary, vectors: Mapping[str, np.ndarray]
) -> list[_SpanMatch]:
    """Non-overlapping spans of ``words`` that match a tag or lexicon entry, best first."""
    scored: list[_SpanMatch] = []
    for start, end, text in _spans(words):
        vector = vectors[text]
        if len(vocabulary.tag_names):
            tag_sims = vocabulary.tag_vectors @ vector
            best_tag = int(np.argmax(tag_sims))
            scored.append(_SpanMatch(start, end, text, float(tag_sims[best_tag]), "tag", best_tag))
        if len(vocabulary.phrase_owner):
            phrase_sims = vocabulary.phrase_vectors @ vector
            best_phrase = int(np.argmax(phrase_sims))
            entry = _with_polarity(vocabulary, text, vocabulary.phrase_owner[best_phrase])
            scored.append(_SpanMatch(start, end, text, float(phrase_sims[best_phrase]), "lexicon", entry))
    # Longer spans win near-ties: "hard rock" over "rock", "teen pop" (-> "post-teen pop") over "pop".
    scored.sort(
        key=lambda match: (-(match.score + SPAN_WORD_BONUS * (match.end - match.start - 1)), match.start)
    )
    taken: set[int] = set()
    chosen = []
    for match in scored:
        minimum = TAG_MATCH_MIN if match.kind == "tag" else LEXICON_MATCH_MIN
        if match.score < minimum or taken & set(range(match.start, match.end)):
            continue
        chosen.append(match)
        taken.update(range(match.start, match.end))
    return chosen


_LOW_CUE = re.compile(rf"\b(?:{LOW_WORDS}|not|no|without|slow|slower|quiet|calm|down)\b")
_HIGH_CUE = re.compile(rf"\b(?:{HIGH_WORDS}|fast|faster|quick|loud|up)\b")


def _with_polarity(vocabulary: Vocabulary, text: str, index: int) -> int:
    """The entry ``text`` means: similarity found ``index``, but a word saying the opposite
    direction ("low energy" near "energetic") switches to the explicit antonym."""
    entry = vocabulary.lexicon[index]
    direction = entry_direction(entry)
    wants_low = _LOW_CUE.search(text) is not None
    wants_high = _HIGH_CUE.search(text) is not None
    if direction is None or wants_low == wants_high:
        return index
    if (direction == "high" and wants_low) or (direction == "low" and wants_high):
        opposite = ANTONYMS.get(entry.label)
        for candidate, other in enumerate(vocabulary.lexicon):
            if other.label == opposite:
                return candidate
    return index


def _tag_family(vocabulary: Vocabulary, vector: np.ndarray, minimum: float) -> list[tuple[str, float]]:
    sims = vocabulary.tag_vectors @ vector
    return [(vocabulary.tag_names[i], float(sims[i])) for i in np.argsort(-sims) if sims[i] >= minimum]


def _with_children(vocabulary: Vocabulary, names: Iterable[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        for tag in (name, *vocabulary.tag_children.get(name, ())):
            if tag not in result:
                result.append(tag)
    return result


def _resolve_tag_hint(vocabulary: Vocabulary, hint: str, vectors: Mapping[str, np.ndarray]) -> str | None:
    if hint in vocabulary.tag_names:
        return hint
    if not len(vocabulary.tag_names) or hint not in vectors:
        return None
    sims = vocabulary.tag_vectors @ vectors[hint]
    best = int(np.argmax(sims))
    return vocabulary.tag_names[best] if sims[best] >= 0.85 else None


def _add_include(intent: Intent, name: str, confidence: float, source: str) -> None:
    confidence = round(min(1.0, confidence), 3)
    for tag in intent.include_tags:
        if tag.name == name:
            tag.confidence = max(tag.confidence, confidence)
            return
    intent.include_tags.append(TagChoice(name=name, confidence=confidence, source=source))


def _apply_lexicon(
    intent: Intent, entry: LexiconEntry, confidence: float, source: str, *, level: str | None = None
) -> None:
    for feature, (low, high) in entry.ranges.items():
        low, high = intensified(feature, low, high, level)
        existing = intent.feature_ranges.get(feature)
        if existing is not None and existing.hard:
            continue
        weight = confidence * entry.range_weights.get(feature, 1.0)
        if existing is not None:
            # Two moods on one feature ("sad happy songs"): keep their overlap if any, else the
            # stronger one, and say so.
            overlap_low, overlap_high = max(existing.low, low), min(existing.high, high)
            if overlap_low <= overlap_high:
                existing.low, existing.high = overlap_low, overlap_high
                existing.confidence = round(max(existing.confidence, weight), 3)
                continue
            kept = existing.source if existing.confidence >= weight else entry.label
            intent.relaxed.append(
                f"{feature}: '{existing.source}' and '{entry.label}' contradict; kept '{kept}'"
            )
            if existing.confidence >= weight:
                continue
        intent.feature_ranges[feature] = FeatureRange(
            low=low, high=high, hard=False, confidence=round(weight, 3), source=entry.label
        )
    if entry.kind == "activity" and intent.activity is None:
        intent.activity = entry.label
    elif entry.kind in ("mood", "character") and entry.label not in intent.moods:
        intent.moods.append(entry.label)


def _normalize(prompt: str) -> str:
    text = prompt.lower().replace("’", "'").replace("–", "-").replace("—", "-")
    text = re.sub(r"\bhip[\s-]?hop\b", "hip hop", text)
    text = re.sub(r"\br\s*(?:&|n|and)\s*b\b", "r&b", text)
    return re.sub(r"\s+", " ", text).strip()


def embeddable_phrases(lexicon: Sequence[LexiconEntry]) -> list[tuple[int, str]]:
    """(entry index, phrase) pairs matched by similarity; negated phrases are read literally."""
    return [
        (index, phrase)
        for index, entry in enumerate(lexicon)
        for phrase in entry.phrases
        if not is_literal_phrase(phrase)
    ]


_LITERAL_CUE = re.compile(rf"\b{NEGATION_CUES}\b|\bno one\b|\bnobody\b")


def is_literal_phrase(phrase: str) -> bool:
    """A lexicon phrase holding a negation word ("no vocals", "songs nobody knows") is read
    literally before negations are, never by similarity."""
    return _LITERAL_CUE.search(phrase) is not None


def size_for_duration(seconds: float) -> int:
    """How many tracks of average length fill ``seconds`` ("an hour"), within the size limits."""
    return max(MIN_SIZE, min(MAX_SIZE, round(seconds / AVERAGE_TRACK_SECONDS)))


def validate_prompt(prompt: str | None) -> str:
    if prompt is None or not prompt.strip():
        raise PromptError(
            "The prompt is empty: describe the playlist you want, e.g. 'relaxing evening jazz'."
        )
    if len(prompt) >= MAX_PROMPT_CHARS:
        raise PromptError(
            f"The prompt is too long ({len(prompt):,} characters); keep it under {MAX_PROMPT_CHARS:,}."
        )
    if not any(character.isalnum() for character in prompt):
        raise PromptError("The prompt has no words in it: describe the music in a few words.")
    return prompt.strip()


def validate_size(size: int | None) -> int | None:
    if size is not None and not MIN_SIZE <= size <= MAX_SIZE:
        raise PromptError(f"A playlist holds {MIN_SIZE} to {MAX_SIZE} tracks; {size} was asked for.")
    return size


class NotUnderstoodError(PromptError):
    """Nothing in the prompt could be read; ``intent`` says what was tried and suggests prompts."""

    def __init__(self, intent: Intent) -> None:
        words = ", ".join(intent.not_understood) or "the prompt"
        examples = "; ".join(f"“{example}”" for example in intent.suggestions)
        super().__init__(f"Segue did not understand: {words}. Try for example {examples}.")
        self.intent = intent


# Below this cosine to every tag and lexicon phrase a word is reported as not understood.
NOT_UNDERSTOOD_MAX = 0.45
SUGGESTIONS = (
    "relaxing evening jazz",
    "an hour of upbeat workout songs over 120 bpm",
    "90s hip hop without explicit gangsta rap",
    "calm acoustic songs for studying, no vocals",
)


def parse_prompt(prompt: str, *, vocabulary: Vocabulary, require_understood: bool = True) -> Intent:
    """The Intent of ``prompt``. A prompt with nothing understood raises NotUnderstoodError (which
    carries the Intent and suggestions) unless ``require_understood`` is False."""
    prompt = validate_prompt(prompt)
    intent = Intent()
    language = detect_language(prompt)
    intent.language = language
    text = _normalize(prompt)
    foreign_unknown: list[str] = []
    if language != ENGLISH:
        text, foreign_unknown = to_english(text, language)
    text = expand_free_suffix(numbers_to_digits(decade_words_to_digits(text)))
    scan = _Scan(text=text, intent=intent)
    _read_familiarity(scan)
    _read_lexicon_literals(scan, vocabulary)
    reading = _read_grammar(scan)
    _read_arc(scan)
    lessened = _read_less(scan)
    before_negation = scan.text
    positive_text, negated = negated_clauses(scan.text)
    negated = [phrase for phrase in (_GENERIC_NOUNS.sub("", phrase).strip() for phrase in negated) if phrase]
    negated, wanted = _split_negated_adjectives(negated, before_negation, vocabulary)
    scan.text = f"{positive_text} , {' , '.join(wanted)}" if wanted else positive_text
    _read_seed_artists(scan, vocabulary, prompt)
    words = [word for word in _WORD.findall(scan.text)]
    spans = [text for _, _, text in _spans(words)]
    semantic_text = _semantic_text(text)
    hints = sorted(
        {hint for entry in vocabulary.lexicon for hint in entry.tag_hints}
        | {hint for hints in ARTIST_STYLES.values() for hint in hints}
    )
    hints = [hint for hint in hints if hint not in set(vocabulary.tag_names)]
    texts = list(dict.fromkeys([semantic_text, *spans, *negated, *lessened, *hints]))
    vectors = dict(zip(texts, vocabulary.encode(texts), strict=True)) if texts else {}
    intent.semantic_text = semantic_text
    matches = _best_matches(words, vocabulary, vectors)
    for match in matches:
        if match.kind == "tag":
            _include_tag_family(intent, vocabulary, vectors[match.text], match)
        else:
            entry = vocabulary.lexicon[match.index]
            level = _intensity_of(match.text, reading)
            _apply_lexicon(intent, entry, min(1.0, match.score), match.text, level=level)
            for hint in entry.tag_hints:
                _include_hint(intent, vocabulary, hint, vectors, match.score, match.text)
    for artist in intent.unknown_artists:
        for hint in ARTIST_STYLES.get(artist.lower(), ()):
            _include_hint(intent, vocabulary, hint, vectors, 0.7, artist)
    unresolved = [phrase for phrase in negated if not _exclude(intent, vocabulary, phrase, vectors, prompt)]
    for phrase in lessened:
        _lessen(intent, vocabulary, phrase, vectors, prompt)
    _drop_contradictions(intent)
    _make_room_for_arc(intent)
    if intent.size is not None:
        validate_size(intent.size)
    covered = {index for match in matches for index in range(match.start, match.end)}
    intent.not_understood = _not_understood(words, covered, vocabulary, vectors, foreign_unknown)
    intent.not_understood.extend(phrase for phrase in unresolved if phrase not in intent.not_understood)
    intent.warnings.extend(_implausible(intent))
    if language not in READ_LANGUAGES:
        intent.warnings.append(
            f"Prompts are read in English (and Spanish, French, German, Portuguese); "
            f"this looks like {LANGUAGE_NAMES.get(language, language)} and was read as English."
        )
    elif language != ENGLISH and intent.not_understood:
        intent.warnings.append(
            f"Read as {LANGUAGE_NAMES[language]} through a small vocabulary; "
            f"not understood: {', '.join(intent.not_understood)}."
        )
    content = [word for word in words if word not in STOP_WORDS and not word.replace(".", "").isdigit()]
    # Nothing read and every word far from anything the catalog knows ("asdf qwerty"); a prompt
    # of real words that merely matched no entry ("songs about the sea") still searches by meaning.
    if not _understood_anything(intent) and set(content) <= set(intent.not_understood):
        intent.nothing_understood = True
        intent.suggestions = list(SUGGESTIONS)
        if not intent.not_understood:
            intent.not_understood = [word for word in _WORD.findall(_normalize(prompt))][:8]
        if require_understood:
            raise NotUnderstoodError(intent)
    return intent


LATEST_YEAR = 2026
FASTEST_TEMPO = 250.0


def _implausible(intent: Intent) -> list[str]:
    """Constraints no catalog can meet, said at once rather than discovered empty."""
    notes = []
    if intent.era and intent.era[0] > LATEST_YEAR:
        notes.append(f"No music is released after {LATEST_YEAR} yet; the era {intent.era[0]}s cannot be met")
    tempo = intent.feature_ranges.get("tempo")
    if tempo is not None and tempo.hard and tempo.low >= FASTEST_TEMPO:
        notes.append(f"Hardly any track is faster than {FASTEST_TEMPO:.0f} bpm")
    return notes


def _split_negated_adjectives(
    negated: Sequence[str], text: str, vocabulary: Vocabulary
) -> tuple[list[str], list[str]]:
    """ "not mainstream pop" is pop that is not mainstream: after a plain "not", a leading word
    that is a lexicon adjective is what is negated and the rest is wanted — unless the whole
    phrase is a tag ("not hard rock")."""
    kept: list[str] = []
    wanted: list[str] = []
    tags = {name.lower() for name in vocabulary.tag_names}
    for phrase in negated:
        first, _, rest = phrase.partition(" ")
        after_not = re.search(rf"\b(?:not|isn't|aren't)\s+(?:so\s+|too\s+|very\s+)?{re.escape(phrase)}", text)
        if rest and after_not and phrase not in tags and _literal_entry(vocabulary, first) is not None:
            kept.append(first)
            wanted.append(rest)
        else:
            kept.append(phrase)
    return kept, wanted


def _read_less(scan: _Scan) -> list[str]:
    """ "less sad", "less rap" inside a prompt: what to rank down (not forbid), consumed."""
    found = []
    for match in list(re.finditer(r"\bless\s+(?!than\b)([\w&'-]+)", scan.text)):
        found.append(match[1])
        scan.consume(match)
    return found


def _lessen(
    intent: Intent, vocabulary: Vocabulary, phrase: str, vectors: Mapping[str, np.ndarray], prompt: str
) -> None:
    softened = Intent()
    _exclude(softened, vocabulary, phrase, vectors, prompt)
    intent.avoid_tags = list(
        dict.fromkeys([*intent.avoid_tags, *softened.exclude_tags, *softened.avoid_tags])
    )
    for feature, spec in softened.feature_ranges.items():
        intent.feature_ranges.setdefault(feature, spec)


def _include_hint(
    intent: Intent,
    vocabulary: Vocabulary,
    hint: str,
    vectors: Mapping[str, np.ndarray],
    score: float,
    source: str,
) -> None:
    tag = _resolve_tag_hint(vocabulary, hint, vectors)
    if tag:
        for name in _with_children(vocabulary, [tag]):
            _add_include(intent, name, score, source)


def _intensity_of(span: str, reading: Reading) -> str | None:
    for word in span.split():
        if word in reading.intensity:
            return reading.intensity[word]
    return None


def _not_understood(
    words: Sequence[str],
    covered: set[int],
    vocabulary: Vocabulary,
    vectors: Mapping[str, np.ndarray],
    foreign_unknown: Sequence[str],
) -> list[str]:
    """Content words no grammar consumed and no tag or lexicon phrase comes near."""
    found: list[str] = []
    for index, word in enumerate(words):
        if index in covered or word in STOP_WORDS or word.replace(".", "").isdigit():
            continue
        vector = vectors.get(word)
        similarity = _best_similarity(vocabulary, vector) if vector is not None else 0.0
        # A made-up word can come within 0.6 of some tag; a real one matched by nothing is still
        # a word the search reads by meaning ("grandma", "bus").
        floor = NOT_UNDERSTOOD_MAX if is_known_word(word) else LEXICON_MATCH_MIN
        if similarity >= floor:
            continue
        found.append(word)
    found.extend(word for word in foreign_unknown if word in words and word not in found)
    return list(dict.fromkeys(found))


def _best_similarity(vocabulary: Vocabulary, vector: np.ndarray) -> float:
    best = 0.0
    if len(vocabulary.tag_names):
        best = float(np.max(vocabulary.tag_vectors @ vector))
    if len(vocabulary.phrase_owner):
        best = max(best, float(np.max(vocabulary.phrase_vectors @ vector)))
    return best


def _understood_anything(intent: Intent) -> bool:
    return bool(
        intent.include_tags
        or intent.exclude_tags
        or intent.avoid_tags
        or intent.exclude_artists
        or intent.seed_artists
        or intent.unknown_artists
        or intent.feature_ranges
        or intent.era
        or intent.size
        or intent.duration_seconds
        or intent.familiarity
        or intent.activity
        or intent.moods
        or intent.energy_arc
    )


# Entries whose negated phrasing is a hard constraint ("no vocals", "without lyrics").
HARD_WHEN_SAID = frozenset({"instrumental"})


def _read_lexicon_literals(scan: _Scan, vocabulary: Vocabulary) -> None:
    """Lexicon phrases that hold a negation word ("no vocals", "songs nobody knows") are read
    before negations are, longest first."""
    literals = [
        (phrase, entry)
        for entry in vocabulary.lexicon
        for phrase in entry.phrases
        if is_literal_phrase(phrase)
    ]
    for phrase, entry in sorted(literals, key=lambda item: -len(item[0])):
        for match in list(re.finditer(rf"\b{re.escape(phrase)}\b", scan.text)):
            _apply_lexicon(scan.intent, entry, 1.0, phrase)
            if entry.label in HARD_WHEN_SAID:
                # "without vocals" is an explicit constraint, as hard as a number.
                for feature in entry.ranges:
                    scan.intent.feature_ranges[feature].hard = True
            scan.consume(match)


def _include_tag_family(
    intent: Intent, vocabulary: Vocabulary, vector: np.ndarray, match: _SpanMatch
) -> None:
    best = vocabulary.tag_names[match.index]
    family = _tag_family(vocabulary, vector, max(TAG_FAMILY_MIN, match.score - 0.25))
    for name, sim in [(best, match.score), *family]:
        for tag in _with_children(vocabulary, [name]):
            _add_include(intent, tag, min(match.score, sim), match.text)


def _exclude(
    intent: Intent, vocabulary: Vocabulary, phrase: str, vectors: Mapping[str, np.ndarray], prompt: str
) -> bool:
    """Leave out what ``phrase`` names: an artist, tags, or a side of a mood; False when unknown."""
    phrase = _GENERIC_NOUNS.sub("", phrase).strip()
    if not phrase:
        return True
    artist = vocabulary.find_artist(re.sub(r"'s\b", "", phrase))
    vector = vectors.get(phrase)
    literal = _literal_entry(vocabulary, phrase)
    if literal is not None and phrase not in vocabulary.tag_names:
        _avoid_lexicon(intent, literal, phrase)
        return True
    family = (
        _tag_family(vocabulary, vector, AVOID_MIN) if vector is not None and len(vocabulary.tag_names) else []
    )
    best_sim = family[0][1] if family else 0.0
    if artist and best_sim < 0.9:
        if artist not in intent.exclude_artists:
            intent.exclude_artists.append(artist)
        return True
    if best_sim >= TAG_MATCH_MIN:
        best_tag = family[0][0]
        # "no gangsta rap" leaves the broader "rap" alone: parents of the matched tag stay.
        parents = {parent for parent, children in vocabulary.tag_children.items() if best_tag in children}
        strong = [
            name
            for name, sim in family
            if sim >= max(EXCLUDE_FAMILY_MIN, best_sim - 0.2) and name not in parents
        ]
        if best_sim >= EXACT_TAG_MIN:
            # A tag named exactly ("no reggaeton") leaves out that tag and its narrower tags;
            # look-alikes ("reggae") are only ranked down.
            strong = [best_tag]
        for name in _with_children(vocabulary, strong):
            if name not in intent.exclude_tags:
                intent.exclude_tags.append(name)
        for name, _ in family:
            if name not in strong and name not in parents and name not in intent.avoid_tags:
                intent.avoid_tags.append(name)
        return True
    if vector is not None and len(vocabulary.phrase_owner):
        sims = vocabulary.phrase_vectors @ vector
        best = int(np.argmax(sims))
        if sims[best] >= LEXICON_MATCH_MIN:
            index = _with_polarity(vocabulary, phrase, vocabulary.phrase_owner[best])
            _avoid_lexicon(intent, vocabulary.lexicon[index], phrase)
            return True
    written = _looks_like_a_name(prompt, phrase)
    if written:
        if written not in intent.unknown_artists:
            intent.unknown_artists.append(written)
        intent.warnings.append(f"{written} is not in the catalog, so there is nothing of theirs to leave out")
        return True
    intent.warnings.append(f"Could not tell what to leave out for 'no {phrase}'")
    return False


_GENERIC_NOUNS = re.compile(r"\s*\b(?:music|songs?|tracks?|tunes|stuff|ones|please|at all|anything)\b")


def _literal_entry(vocabulary: Vocabulary, phrase: str) -> LexiconEntry | None:
    """The lexicon entry one of whose phrases is exactly ``phrase`` ("heavy", "sad")."""
    for entry in vocabulary.lexicon:
        if phrase in entry.phrases:
            return entry
    return None


def _avoid_lexicon(intent: Intent, entry: LexiconEntry, phrase: str) -> None:
    """'nothing sad': the opposite side of each one-sided range, as a soft preference."""
    opposite = ANTONYMS.get(entry.label)
    if entry.label in BINARY_CHARACTERS and opposite:
        # Not acoustic is electronic, no vocals instrumental: a two-sided character flips.
        for feature, (low, high) in _entry_named(opposite).ranges.items():
            if not (feature in intent.feature_ranges and intent.feature_ranges[feature].hard):
                intent.feature_ranges[feature] = FeatureRange(low, high, False, 0.8, f"no {phrase}")
        return
    for feature, (low, high) in entry.ranges.items():
        if feature in intent.feature_ranges and intent.feature_ranges[feature].hard:
            continue
        scale_low, scale_high = _feature_scale(feature)
        if low <= scale_low:
            intent.feature_ranges[feature] = FeatureRange(high, scale_high, False, 0.8, f"no {phrase}")
        elif high >= scale_high:
            intent.feature_ranges[feature] = FeatureRange(scale_low, low, False, 0.8, f"no {phrase}")


def _entry_named(label: str) -> LexiconEntry:
    return next(entry for entry in LEXICON if entry.label == label)


def _feature_scale(feature: str) -> tuple[float, float]:
    return FEATURE_SCALES.get(feature, (0.0, 1.0))


def _make_room_for_arc(intent: Intent) -> None:
    """A run "easing into calm songs" needs calm songs too: widen a soft energy range to the arc."""
    if not isinstance(intent.energy_arc, str) or intent.energy_arc not in ENERGY_ARCS:
        return
    spec = intent.feature_ranges.get("energy")
    if spec is None or spec.hard:
        return
    start, end = ENERGY_ARCS[intent.energy_arc]
    spec.low, spec.high = min(spec.low, start, end), max(spec.high, start, end)


def _drop_contradictions(intent: Intent) -> None:
    """An explicitly included tag is never excluded by a broader negation ("rock but no hard rock")."""
    included = set(intent.include_tag_names())
    explicit = {tag.name for tag in intent.include_tags if tag.name == tag.source}
    intent.exclude_tags = [name for name in intent.exclude_tags if name not in explicit]
    excluded = set(intent.exclude_tags)
    intent.avoid_tags = [name for name in intent.avoid_tags if name not in included and name not in excluded]
    intent.include_tags = [tag for tag in intent.include_tags if tag.name not in excluded]


def _semantic_text(text: str) -> str:
    """The normalized prompt without its negated clauses, for the embedding."""
    positive, _ = negated_clauses(text)
    positive = re.sub(r"\s+", " ", positive).strip(" ,.;")
    positive = re.sub(r"(?:\s+\b(?:but|and|or|with|yet)\b)+\s*(?=,|$)", "", positive).strip(" ,.;")
    return positive or text


# --- refine ----------------------------------------------------------------------------------


def refine_intent(intent: Intent, change_text: str, *, vocabulary: Vocabulary) -> Intent:
    """The Intent after a listener's change ("less rap, more upbeat", "no Drake", "slower").

    A change replaces the earlier wishes it contradicts ("less lo-fi" drops an included lo-fi,
    "no gangsta rap" turns an earlier "less gangsta rap" into an exclusion, "more upbeat" after
    "calm" replaces the calm energy range) and says so in ``replaced``. A change with nothing
    understood raises NotUnderstoodError rather than making a new version of the same thing.
    """
    change_text = validate_prompt(change_text)
    refined = Intent.from_dict(intent.to_dict())
    refined.replaced = []
    understood = False
    for clause in re.split(r"[,;]|\bbut\b|\band\b", _normalize(change_text)):
        clause = clause.strip()
        if clause:
            understood = _refine_clause(refined, clause, vocabulary) or understood
    if not understood:
        failed = parse_prompt(change_text, vocabulary=vocabulary, require_understood=False)
        raise NotUnderstoodError(failed)
    return refined


STEP_CHANGES = {
    "slower": ("tempo", -15.0, "energy", -0.15),
    "faster": ("tempo", 15.0, "energy", 0.15),
    "calmer": ("energy", -0.2, "energy", 0.0),
    "quieter": ("loudness", -4.0, "energy", -0.15),
    "louder": ("loudness", 4.0, "energy", 0.15),
    "happier": ("valence", 0.2, "valence", 0.0),
    "sadder": ("valence", -0.2, "valence", 0.0),
}


def _refine_clause(intent: Intent, clause: str, vocabulary: Vocabulary) -> bool:
    """Apply one clause of a change; False when nothing in it was understood."""
    words = clause.split()
    head = words[0]
    if head in STEP_CHANGES and len(words) == 1:
        feature, step, second, second_step = STEP_CHANGES[head]
        _shift_range(intent, feature, step)
        if second_step:
            _shift_range(intent, second, second_step)
        return True
    if head in ("less", "fewer") and len(words) > 1:
        return _refine_less(intent, " ".join(words[1:]), vocabulary)
    if head == "more" and len(words) > 1:
        clause = " ".join(words[1:])
    change = parse_prompt(clause, vocabulary=vocabulary, require_understood=False)
    if change.nothing_understood:
        return False
    _merge_change(intent, change)
    return True


def _refine_less(intent: Intent, rest: str, vocabulary: Vocabulary) -> bool:
    """ "less rap" ranks rap down rather than forbidding it, and stops asking for it."""
    change = parse_prompt(f"no {rest}", vocabulary=vocabulary, require_understood=False)
    if change.nothing_understood:
        return False
    lowered = [*change.exclude_tags, *change.avoid_tags]
    dropped = [tag.name for tag in intent.include_tags if tag.name in set(change.exclude_tags)]
    if dropped:
        intent.replaced.append(f"'less {rest}' replaced the wish for {', '.join(dropped)}")
    intent.include_tags = [tag for tag in intent.include_tags if tag.name not in set(change.exclude_tags)]
    intent.avoid_tags = list(dict.fromkeys([*intent.avoid_tags, *lowered]))
    for feature, spec in change.feature_ranges.items():
        _replace_range(intent, feature, spec)
    return True


def _replace_range(intent: Intent, feature: str, spec: FeatureRange) -> None:
    """A new range on a feature replaces an old one it does not overlap, and says so."""
    old = intent.feature_ranges.get(feature)
    if old is not None and (old.high < spec.low or spec.high < old.low):
        intent.replaced.append(f"{feature}: '{spec.source}' replaced '{old.source}'")
        if old.source in intent.moods:
            intent.moods.remove(old.source)
        if old.source == intent.activity:
            intent.activity = None
    intent.feature_ranges[feature] = spec


def _merge_change(intent: Intent, change: Intent) -> None:
    for tag in change.include_tags:
        if tag.name in intent.exclude_tags or tag.name in intent.avoid_tags:
            intent.replaced.append(f"'{tag.source}' replaced the earlier 'no/less {tag.name}'")
            intent.exclude_tags = [name for name in intent.exclude_tags if name != tag.name]
            intent.avoid_tags = [name for name in intent.avoid_tags if name != tag.name]
        _add_include(intent, tag.name, tag.confidence, tag.source)
    now_excluded = [name for name in change.exclude_tags if name in intent.avoid_tags]
    if now_excluded:
        intent.replaced.append(f"'no {', '.join(now_excluded)}' replaced the earlier 'less'")
    intent.exclude_tags = list(dict.fromkeys([*intent.exclude_tags, *change.exclude_tags]))
    excluded = set(intent.exclude_tags)
    intent.avoid_tags = [
        name for name in dict.fromkeys([*intent.avoid_tags, *change.avoid_tags]) if name not in excluded
    ]
    dropped = [tag.name for tag in intent.include_tags if tag.name in excluded]
    if dropped:
        intent.replaced.append(f"the exclusion replaced the wish for {', '.join(dropped)}")
    intent.include_tags = [tag for tag in intent.include_tags if tag.name not in excluded]
    intent.exclude_artists = list(dict.fromkeys([*intent.exclude_artists, *change.exclude_artists]))
    intent.seed_artists = [name for name in intent.seed_artists if name not in set(change.exclude_artists)]
    intent.seed_artists = list(dict.fromkeys([*intent.seed_artists, *change.seed_artists]))
    intent.unknown_artists = list(dict.fromkeys([*intent.unknown_artists, *change.unknown_artists]))
    for feature, spec in change.feature_ranges.items():
        _replace_range(intent, feature, spec)
    for name in ("era", "size", "duration_seconds", "familiarity", "activity", "energy_arc"):
        value = getattr(change, name)
        if value is not None:
            old = getattr(intent, name)
            if old is not None and old != value:
                intent.replaced.append(f"{name}: {value!r} replaced {old!r}")
            setattr(intent, name, value)
    intent.moods = list(dict.fromkeys([*intent.moods, *change.moods]))
    if change.semantic_text:
        intent.semantic_text = f"{intent.semantic_text}, {change.semantic_text}".strip(", ")


def _shift_range(intent: Intent, feature: str, step: float) -> None:
    low, high = _feature_scale(feature)
    spec = intent.feature_ranges.get(feature)
    if spec is None:
        middle = (low + high) / 2 + step * 2
        spec = FeatureRange(low=low, high=high, hard=False, confidence=0.7, source="refine")
        if step < 0:
            spec.high = middle
        else:
            spec.low = middle
        intent.feature_ranges[feature] = spec
        return
    intent.feature_ranges[feature] = replace(
        spec, low=min(max(low, spec.low + step), high), high=max(min(high, spec.high + step), low)
    )
