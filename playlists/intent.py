"""What a prompt compiles to, and the parser that compiles it (no Django imports).

``parse_prompt`` reads numbers, eras, lengths, negations, seed artists and familiarity with
small grammars, then matches what is left against the catalog's own tags and the mood /
activity lexicon by embedding similarity (``Vocabulary``), so an unseen phrasing lands on the
nearest entry. Every extracted piece carries a confidence; the Intent is JSON-safe so the
listener can edit it and regenerate from the edited copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from playlists.lexicon import ARC_PHRASES, ENERGY_ARCS, LexiconEntry

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
    not_understood: list[str] = field(default_factory=list)
    nothing_understood: bool = False
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


# --- small grammars -------------------------------------------------------------------------

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "twenty five": 25,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
    "sixty": 60,
    "a hundred": 100,
    "half": 0.5,
    "a couple of": 2,
    "a few": 3,
}
_NUMBER = r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")"
_MORE = r"(?:over|above|faster than|more than|at least|greater than|>|min(?:imum)?|beyond|upwards of)"
_LESS = r"(?:under|below|slower than|less than|at most|fewer than|<|max(?:imum)?|up to|no more than)"
_LONGER = r"(?:over|above|longer than|more than|at least)"
_SHORTER = r"(?:under|below|shorter than|less than|at most|no longer than)"
_MINUTES = r"(?:minutes?|mins?)"

# English, plus the commonest Spanish/French/German/Italian/Portuguese "without".
NEGATION_CUES = (
    r"(?:no|not|without|except|excluding|minus|avoid|nothing|none of|never|skip|but not|no more"
    r"|sin|sans|ohne|senza|sem)"
)
CLAUSE_END = re.compile(r"[,.;!?()]|\b(?:but|with|for|that|just|only|while|so|then|please)\b")
_STOP_WORDS_TEXT = """
    a an the and or of to for in on at by from with some any my me i i'm im we us our you your
    please give make play create want need put get songs song tracks track music mix playlist
    playlists tunes stuff things something kind sort type types bit more but very really just like
    that this these those good great best nice perfect vibe vibes vibey beats sounds sound list set
    selection collection while when during is are be it its it's all also new only quick break
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_WORD = re.compile(r"[\w&'+]+(?:-[\w&'+]+)*", re.UNICODE)


def _number(text: str) -> float:
    text = text.strip().lower()
    return float(NUMBER_WORDS[text]) if text in NUMBER_WORDS else float(text)


@dataclass
class _Scan:
    """The prompt being read: grammars blank out what they consumed."""

    text: str
    intent: Intent

    def consume(self, match: re.Match[str]) -> None:
        start, end = match.span()
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def _scan_all(scan: _Scan, pattern: str, handle: Callable[[re.Match[str]], None]) -> None:
    for match in list(re.finditer(pattern, scan.text)):
        handle(match)
        scan.consume(match)


def _read_tempo(scan: _Scan) -> None:
    def between(match: re.Match[str]) -> None:
        low, high = sorted((_number(match[1]), _number(match[2])))
        _set_range(scan.intent, "tempo", low, high, source=match[0])

    def over(match: re.Match[str]) -> None:
        _set_range(scan.intent, "tempo", _number(match[1]), 300.0, source=match[0])

    def under(match: re.Match[str]) -> None:
        _set_range(scan.intent, "tempo", 0.0, _number(match[1]), source=match[0])

    def around(match: re.Match[str]) -> None:
        bpm = _number(match[1])
        _set_range(scan.intent, "tempo", bpm - 6, bpm + 6, source=match[0])

    _scan_all(scan, r"(\d+)\s*(?:-|to|and)\s*(\d+)\s*bpm", between)
    _scan_all(scan, rf"{_MORE}\s*{_NUMBER}\s*(?:bpm|beats per minute)", over)
    _scan_all(scan, rf"{_LESS}\s*{_NUMBER}\s*(?:bpm|beats per minute)", under)
    _scan_all(scan, r"(?:around|about|at|~)?\s*(\d+)\s*(?:bpm|beats per minute)", around)


def _read_track_length(scan: _Scan) -> None:
    def shorter(match: re.Match[str]) -> None:
        _set_range(scan.intent, "duration_ms", 0.0, _number(match[1]) * 60_000, source=match[0])

    def longer(match: re.Match[str]) -> None:
        _set_range(scan.intent, "duration_ms", _number(match[1]) * 60_000, 3_600_000.0, source=match[0])

    # A comparison with a few minutes is about each track ("under three minutes"); a bare
    # length ("a 30-minute run", "an hour of") is about the whole playlist.
    track_minutes = rf"{_NUMBER}\s*{_MINUTES}(?:\s+long)?"
    _scan_all(scan, rf"\b{_SHORTER}\s+{track_minutes}", lambda match: _track_bound(scan, match, shorter))
    _scan_all(scan, rf"\b{_LONGER}\s+{track_minutes}", lambda match: _track_bound(scan, match, longer))


MAX_TRACK_MINUTES = 12


def _track_bound(scan: _Scan, match: re.Match[str], handle: Callable[[re.Match[str]], None]) -> None:
    minutes = _number(match[1])
    if minutes <= MAX_TRACK_MINUTES:
        handle(match)
    else:
        scan.intent.duration_seconds = int(minutes * 60)


def _read_playlist_length(scan: _Scan) -> None:
    def size(match: re.Match[str]) -> None:
        scan.intent.size = int(_number(match[1]))

    def hours(match: re.Match[str]) -> None:
        scan.intent.duration_seconds = int(_number(match[1]) * 3600)

    def minutes(match: re.Match[str]) -> None:
        scan.intent.duration_seconds = int(_number(match[1]) * 60)

    _scan_all(scan, rf"\b{_NUMBER}\s+(?:songs?|tracks?|tunes|pieces)\b", size)
    _scan_all(scan, r"\bhalf an? hour\b", lambda match: setattr(scan.intent, "duration_seconds", 1800))
    _scan_all(scan, rf"\b{_NUMBER}\s*(?:-\s*)?(?:hours?|hrs?)\b(?:\s+long)?", hours)
    _scan_all(scan, rf"\b{_NUMBER}\s*(?:-\s*)?{_MINUTES}\b(?:\s+long)?", minutes)


DECADE = (
    r"(?:(?:the\s+)?(?:(19|20)?(\d)0'?s)"
    r"|(?:the\s+)?(fifties|sixties|seventies|eighties|nineties|two thousands))"
)
DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
DECADE_WORDS["two thousands"] = 2000


def _decade_start(century: str | None, digit: str | None, word: str | None) -> int:
    if word:
        return DECADE_WORDS[word]
    if century:
        return int(century) * 100 + int(digit or 0) * 10
    tens = int(digit or 0) * 10
    # "20s" alone means the 2020s, "30s".."90s" the 1900s.
    return 2000 + tens if tens <= 20 else 1900 + tens


def _read_era(scan: _Scan) -> None:
    def decade(match: re.Match[str]) -> None:
        start = _decade_start(match[2], match[3], match[4])
        low, high = start, start + 9
        part = match[1]
        if part == "early":
            high = start + 4
        elif part == "late":
            low = start + 5
        elif part == "mid":
            low, high = start + 3, start + 7
        _merge_era(scan.intent, low, high)

    def decades(match: re.Match[str]) -> None:
        first = _decade_start(match[1], match[2], match[3])
        second = _decade_start(match[4], match[5], match[6])
        _merge_era(scan.intent, min(first, second), max(first, second) + 9)

    def year_span(match: re.Match[str]) -> None:
        low, high = sorted((int(match[1]), int(match[2])))
        _merge_era(scan.intent, low, high)

    def since(match: re.Match[str]) -> None:
        _merge_era(scan.intent, int(match[1]), 2100)

    def before(match: re.Match[str]) -> None:
        _merge_era(scan.intent, 1000, int(match[1]) - 1)

    def in_year(match: re.Match[str]) -> None:
        _merge_era(scan.intent, int(match[1]), int(match[1]))

    year = r"((?:19|20)\d\d)"
    _scan_all(scan, rf"\b(?:between\s+|from\s+)?{year}\s*(?:-|to|and|until|through)\s*{year}\b", year_span)
    _scan_all(scan, rf"\b(?:since|after|from)\s+{year}\s+(?:on(?:wards?)?|and later|and after)\b", since)
    _scan_all(scan, rf"\b(?:since|after|newer than|post)\s+{year}\b", since)
    _scan_all(scan, rf"\b(?:before|older than|pre)\s+{year}\b", before)
    _scan_all(scan, rf"\b(?:from|in|released in|of)\s+{year}\b", in_year)
    _scan_all(scan, rf"\b{DECADE}\s*(?:and|or|to|through|-|&)\s*{DECADE}", decades)
    _scan_all(scan, rf"\b(?:from\s+|of\s+|in\s+)?(?:the\s+)?(early|mid|late)?[\s-]*{DECADE}(?=\W|$)", decade)
    _scan_all(scan, rf"(?<![\d-]){year}(?![\d-])", in_year)


def _merge_era(intent: Intent, low: int, high: int) -> None:
    if intent.era is None:
        intent.era = (low, high)
    else:
        intent.era = (min(intent.era[0], low), max(intent.era[1], high))


def _set_range(intent: Intent, feature: str, low: float, high: float, *, source: str) -> None:
    intent.feature_ranges[feature] = FeatureRange(
        low=low, high=high, hard=True, confidence=1.0, source=source.strip()
    )


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
    r"in the vein of)\s+([^,.;!?]+)"
)


def _read_seed_artists(scan: _Scan, vocabulary: Vocabulary) -> None:
    for match in list(re.finditer(SEED_PATTERN, scan.text)):
        names = _artist_names(match[1], vocabulary)
        if names:
            scan.intent.seed_artists.extend(names)
            scan.consume(match)


def _artist_names(text: str, vocabulary: Vocabulary) -> list[str]:
    """Known artist names in ``text`` ("drake and rihanna"), longest first; [] when none."""
    found: list[str] = []
    for part in re.split(r"\s*(?:,|\band\b|\bor\b|&|\bnor\b)\s*", text.strip()):
        part = part.strip()
        if not part:
            continue
        artist = vocabulary.find_artist(part) or vocabulary.find_artist(" ".join(part.split()[:3]))
        if artist:
            found.append(artist)
    return found


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
            entry = vocabulary.phrase_owner[best_phrase]
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


def _apply_lexicon(intent: Intent, entry: LexiconEntry, confidence: float, source: str) -> None:
    for feature, (low, high) in entry.ranges.items():
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


def _negated_clauses(text: str) -> tuple[str, list[str]]:
    """The text without negated clauses, and those clauses' objects ("no rap" -> "rap")."""
    excluded: list[str] = []
    cue = re.compile(rf"\b{NEGATION_CUES}\b(?:\s+(?:any|more|a|the|too much|much|of))*\s+")
    while True:
        match = cue.search(text)
        if match is None:
            return text, excluded
        end_match = CLAUSE_END.search(text, match.end())
        end = end_match.start() if end_match else len(text)
        clause = text[match.end() : end].strip()
        if clause:
            excluded.extend(
                part.strip() for part in re.split(r"\s*(?:\band\b|\bor\b|\bnor\b|/|&(?!b))\s*", clause)
            )
        text = text[: match.start()] + " " * (end - match.start()) + text[end:]


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
        if not re.match(rf"{NEGATION_CUES}\b", phrase)
    ]


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


def parse_prompt(prompt: str, *, vocabulary: Vocabulary) -> Intent:
    prompt = validate_prompt(prompt)
    intent = Intent()
    scan = _Scan(text=_normalize(prompt), intent=intent)
    _read_familiarity(scan)
    _read_tempo(scan)
    _read_track_length(scan)
    _read_era(scan)
    _read_playlist_length(scan)
    _read_arc(scan)
    _read_lexicon_literals(scan, vocabulary)
    positive_text, negated = _negated_clauses(scan.text)
    scan.text = positive_text
    _read_seed_artists(scan, vocabulary)
    words = [word for word in _WORD.findall(scan.text)]
    spans = [text for _, _, text in _spans(words)]
    semantic_text = _semantic_text(prompt, negated)
    hints = sorted(
        {hint for entry in vocabulary.lexicon for hint in entry.tag_hints} - set(vocabulary.tag_names)
    )
    texts = list(dict.fromkeys([semantic_text, *spans, *negated, *hints]))
    vectors = dict(zip(texts, vocabulary.encode(texts), strict=True)) if texts else {}
    intent.semantic_text = semantic_text
    for match in _best_matches(words, vocabulary, vectors):
        if match.kind == "tag":
            _include_tag_family(intent, vocabulary, vectors[match.text], match)
        else:
            entry = vocabulary.lexicon[match.index]
            _apply_lexicon(intent, entry, min(1.0, match.score), match.text)
            for hint in entry.tag_hints:
                tag = _resolve_tag_hint(vocabulary, hint, vectors)
                if tag:
                    for name in _with_children(vocabulary, [tag]):
                        _add_include(intent, name, match.score, match.text)
    for phrase in negated:
        _exclude(intent, vocabulary, phrase, vectors)
    _drop_contradictions(intent)
    _make_room_for_arc(intent)
    if intent.size is not None:
        validate_size(intent.size)
    return intent


def _read_lexicon_literals(scan: _Scan, vocabulary: Vocabulary) -> None:
    """Lexicon phrases that contain a negation word ("no vocals") are read before negations."""
    for entry in vocabulary.lexicon:
        for phrase in entry.phrases:
            if not re.match(rf"{NEGATION_CUES}\b", phrase):
                continue
            for match in list(re.finditer(rf"\b{re.escape(phrase)}\b", scan.text)):
                _apply_lexicon(scan.intent, entry, 1.0, phrase)
                scan.consume(match)


def _include_tag_family(
    intent: Intent, vocabulary: Vocabulary, vector: np.ndarray, match: _SpanMatch
) -> None:
    best = vocabulary.tag_names[match.index]
    family = _tag_family(vocabulary, vector, max(TAG_FAMILY_MIN, match.score - 0.25))
    for name, sim in [(best, match.score), *family]:
        for tag in _with_children(vocabulary, [name]):
            _add_include(intent, tag, min(match.score, sim), match.text)


def _exclude(intent: Intent, vocabulary: Vocabulary, phrase: str, vectors: Mapping[str, np.ndarray]) -> None:
    if not phrase:
        return
    artist = vocabulary.find_artist(phrase)
    vector = vectors.get(phrase)
    family = (
        _tag_family(vocabulary, vector, AVOID_MIN) if vector is not None and len(vocabulary.tag_names) else []
    )
    best_sim = family[0][1] if family else 0.0
    if artist and best_sim < 0.9:
        if artist not in intent.exclude_artists:
            intent.exclude_artists.append(artist)
        return
    if best_sim >= TAG_MATCH_MIN:
        best_tag = family[0][0]
        # "no gangsta rap" leaves the broader "rap" alone: parents of the matched tag stay.
        parents = {parent for parent, children in vocabulary.tag_children.items() if best_tag in children}
        strong = [
            name
            for name, sim in family
            if sim >= max(EXCLUDE_FAMILY_MIN, best_sim - 0.2) and name not in parents
        ]
        for name in _with_children(vocabulary, strong):
            if name not in intent.exclude_tags:
                intent.exclude_tags.append(name)
        for name, _ in family:
            if name not in strong and name not in parents and name not in intent.avoid_tags:
                intent.avoid_tags.append(name)
        return
    if vector is not None and len(vocabulary.phrase_owner):
        sims = vocabulary.phrase_vectors @ vector
        best = int(np.argmax(sims))
        if sims[best] >= LEXICON_MATCH_MIN:
            _avoid_lexicon(intent, vocabulary.lexicon[vocabulary.phrase_owner[best]], phrase)
            return
    intent.warnings.append(f"Could not tell what to leave out for 'no {phrase}'")


def _avoid_lexicon(intent: Intent, entry: LexiconEntry, phrase: str) -> None:
    """'nothing sad': the opposite side of each one-sided range, as a soft preference."""
    for feature, (low, high) in entry.ranges.items():
        if feature in intent.feature_ranges and intent.feature_ranges[feature].hard:
            continue
        scale_low, scale_high = _feature_scale(feature)
        if low <= scale_low:
            intent.feature_ranges[feature] = FeatureRange(high, scale_high, False, 0.8, f"no {phrase}")
        elif high >= scale_high:
            intent.feature_ranges[feature] = FeatureRange(scale_low, low, False, 0.8, f"no {phrase}")


def _feature_scale(feature: str) -> tuple[float, float]:
    return {"tempo": (0.0, 250.0), "popularity": (0.0, 100.0), "loudness": (-60.0, 5.0)}.get(
        feature, (0.0, 1.0)
    )


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


def _semantic_text(prompt: str, negated: Sequence[str]) -> str:
    text = _normalize(prompt)
    text, _ = _negated_clauses(text)
    text = re.sub(r"\s+", " ", text).strip(" ,.;")
    text = re.sub(r"(?:\s+\b(?:but|and|or|with|yet)\b)+\s*(?=,|$)", "", text).strip(" ,.;")
    return text or _normalize(prompt)


# --- refine ----------------------------------------------------------------------------------

LESS_MORE = re.compile(r"\b(less|fewer|more|no more|slower|faster|calmer|happier|sadder)\b\s*([^,.;]*)")


def refine_intent(intent: Intent, change_text: str, *, vocabulary: Vocabulary) -> Intent:
    """The Intent after a listener's change ("less rap, more upbeat", "no Drake", "slower")."""
    change_text = validate_prompt(change_text)
    refined = Intent.from_dict(intent.to_dict())
    for clause in re.split(r"[,;]|\bbut\b|\band\b", _normalize(change_text)):
        clause = clause.strip()
        if clause:
            _refine_clause(refined, clause, vocabulary)
    return refined


STEP_CHANGES = {
    "slower": ("tempo", -15.0, "energy", -0.15),
    "faster": ("tempo", 15.0, "energy", 0.15),
    "calmer": ("energy", -0.2, "energy", 0.0),
    "happier": ("valence", 0.2, "valence", 0.0),
    "sadder": ("valence", -0.2, "valence", 0.0),
}


def _refine_clause(intent: Intent, clause: str, vocabulary: Vocabulary) -> None:
    words = clause.split()
    head = words[0]
    if head in STEP_CHANGES and len(words) == 1:
        feature, step, second, second_step = STEP_CHANGES[head]
        _shift_range(intent, feature, step)
        if second_step:
            _shift_range(intent, second, second_step)
        return
    if head in ("less", "fewer") and len(words) > 1:
        rest = " ".join(words[1:])
        change = parse_prompt(f"no {rest}", vocabulary=vocabulary)
        # "less rap" ranks rap down rather than forbidding it.
        intent.avoid_tags = list(
            dict.fromkeys([*intent.avoid_tags, *change.exclude_tags, *change.avoid_tags])
        )
        removed = set(change.exclude_tags)
        intent.include_tags = [tag for tag in intent.include_tags if tag.name not in removed]
        for feature, spec in change.feature_ranges.items():
            intent.feature_ranges[feature] = spec
        return
    if head == "more" and len(words) > 1:
        clause = " ".join(words[1:])
    change = parse_prompt(clause, vocabulary=vocabulary)
    _merge_change(intent, change)


def _merge_change(intent: Intent, change: Intent) -> None:
    for tag in change.include_tags:
        _add_include(intent, tag.name, tag.confidence, tag.source)
    intent.exclude_tags = list(dict.fromkeys([*intent.exclude_tags, *change.exclude_tags]))
    intent.avoid_tags = list(dict.fromkeys([*intent.avoid_tags, *change.avoid_tags]))
    intent.exclude_artists = list(dict.fromkeys([*intent.exclude_artists, *change.exclude_artists]))
    intent.seed_artists = list(dict.fromkeys([*intent.seed_artists, *change.seed_artists]))
    excluded = set(intent.exclude_tags)
    intent.include_tags = [tag for tag in intent.include_tags if tag.name not in excluded]
    intent.feature_ranges.update(change.feature_ranges)
    for name in ("era", "size", "duration_seconds", "familiarity", "activity", "energy_arc"):
        value = getattr(change, name)
        if value is not None:
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
