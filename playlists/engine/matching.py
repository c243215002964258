"""Matching a prompt's words against the catalog's tags and the mood / activity lexicon by embedding
similarity (no Django imports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from playlists.engine.grammar import HIGH_WORDS, LOW_WORDS, NEGATION_CUES
from playlists.engine.intent import FeatureRange, Intent, TagChoice, Vocabulary
from playlists.engine.lexicon import ANTONYMS, LexiconEntry, entry_direction, intensified
from playlists.engine.prompt_scan import STOP_WORDS

# Similarity thresholds (all-MiniLM-L6-v2 cosine) measured on tag and lexicon names.
TAG_MATCH_MIN = 0.68


TAG_FAMILY_MIN = 0.78


LEXICON_MATCH_MIN = 0.62


EXCLUDE_FAMILY_MIN = 0.78


AVOID_MIN = 0.62


EXACT_TAG_MIN = 0.97


SPAN_WORD_BONUS = 0.1


@dataclass
class SpanMatch:
    start: int
    end: int
    text: str
    score: float
    kind: str  # "tag" or "lexicon"
    index: int
    exact: bool = False  # written exactly as the tag or phrase


# Words naming a scale without a side: alone they mean nothing to match ("at a slow pace" is slow,
# "pace" alone is not "fast paced"); inside a longer span they still count.
NEUTRAL_WORDS = frozenset(
    # Scale words, and a time of day that asks for nothing ("afternoon" is not "morning").
    {"pace", "paced", "tempo", "speed", "bpm", "vibe", "vibes", "mood", "feel", "afternoon"}
)


def word_spans(words: Sequence[str], max_len: int = 3) -> list[tuple[int, int, str]]:
    spans = []
    for start in range(len(words)):
        for length in range(1, max_len + 1):
            end = start + length
            if end > len(words):
                break
            chunk = words[start:end]
            if chunk[0] in STOP_WORDS or chunk[-1] in STOP_WORDS:
                continue
            if length == 1 and chunk[0] in NEUTRAL_WORDS:
                continue
            spans.append((start, end, " ".join(chunk)))
    return spans


def best_matches(
    words: Sequence[str], vocabulary: Vocabulary, vectors: Mapping[str, np.ndarray]
) -> list[SpanMatch]:
    """Non-overlapping spans of ``words`` that match a tag or lexicon entry, best first.

    Words written exactly as a tag or a lexicon phrase are read as that, whatever their length
    ("back in the day", "electro pop" for "electropop"); a longer span matched only by
    similarity may not swallow one of them that means something else ("popular latin pop" is
    "popular" and "latin pop", not a looser "latin pop"). A longer genre name may refine a
    shorter one ("teen pop" -> "post-teen pop" over "pop").
    """
    exact = exact_matches(words, vocabulary)
    scored: list[SpanMatch] = list(exact)
    for start, end, text in word_spans(words):
        vector = vectors[text]
        if len(vocabulary.tag_names):
            tag_sims = vocabulary.tag_vectors @ vector
            best_tag = int(np.argmax(tag_sims))
            scored.append(SpanMatch(start, end, text, float(tag_sims[best_tag]), "tag", best_tag))
        if len(vocabulary.phrase_owner):
            phrase_sims = vocabulary.phrase_vectors @ vector
            best_phrase = int(np.argmax(phrase_sims))
            entry = with_polarity(vocabulary, text, vocabulary.phrase_owner[best_phrase])
            scored.append(SpanMatch(start, end, text, float(phrase_sims[best_phrase]), "lexicon", entry))
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
        if not match.exact and _swallows_other_meaning(match, exact, vocabulary):
            continue
        chosen.append(match)
        taken.update(range(match.start, match.end))
    return chosen


def exact_matches(words: Sequence[str], vocabulary: Vocabulary) -> list[SpanMatch]:
    """Spans written exactly as a tag (spaces and hyphens aside) or as a lexicon phrase."""
    spellings = vocabulary.exact_spellings
    found = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + max(spellings.longest_phrase, 3)) + 1):
            text = " ".join(words[start:end])
            tag = spellings.tags.get(_compact(text)) if end - start <= 3 else None
            if tag is not None:
                found.append(SpanMatch(start, end, text, 1.0, "tag", tag, exact=True))
            elif text in spellings.phrases:
                entry = with_polarity(vocabulary, text, spellings.phrases[text])
                found.append(SpanMatch(start, end, text, 1.0, "lexicon", entry, exact=True))
    return found


@dataclass(frozen=True)
class ExactSpellings:
    """How a vocabulary's tags and phrases are written, for reading them exactly."""

    tags: dict[str, int]  # compacted tag name -> tag index
    phrases: dict[str, int]  # lexicon phrase read by similarity -> entry index
    longest_phrase: int  # in words

    @classmethod
    def of(cls, tag_names: Sequence[str], lexicon: Sequence[LexiconEntry]) -> ExactSpellings:
        phrases: dict[str, int] = {}
        for index, phrase in embeddable_phrases(lexicon):
            phrases.setdefault(phrase, index)
        return cls(
            tags={_compact(name): index for index, name in enumerate(tag_names)},
            phrases=phrases,
            longest_phrase=max((len(phrase.split()) for phrase in phrases), default=1),
        )


def _compact(text: str) -> str:
    return re.sub(r"[\s-]+", "", text)


def _swallows_other_meaning(match: SpanMatch, exact: Sequence[SpanMatch], vocabulary: Vocabulary) -> bool:
    """Whether ``match`` (found by similarity) covers an exactly written word that means
    something else. A genre covering a shorter genre is a refinement, and a word that is part of
    the matched name itself ("pop dance" -> "dance pop") is not another meaning."""
    own_words = _name_words(match, vocabulary)
    for inner in exact:
        if not (match.start <= inner.start and inner.end <= match.end):
            continue
        if inner.kind == "tag" and match.kind == "tag":
            continue
        same_meaning = (inner.kind, inner.index) == (match.kind, match.index)
        if not same_meaning and not set(inner.text.split()) <= own_words:
            return True
    return False


def _name_words(match: SpanMatch, vocabulary: Vocabulary) -> set[str]:
    if match.kind == "tag":
        return set(vocabulary.tag_names[match.index].split())
    entry = vocabulary.lexicon[match.index]
    return {word for phrase in (entry.label, *entry.phrases) for word in phrase.split()}


_LOW_CUE = re.compile(rf"\b(?:{LOW_WORDS}|not|no|without|slow|slower|quiet|calm|down|downbeat|downtempo)\b")


_HIGH_CUE = re.compile(rf"\b(?:{HIGH_WORDS}|fast|faster|quick|loud|up|upbeat|uptempo)\b")


def with_polarity(vocabulary: Vocabulary, text: str, index: int) -> int:
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


def tag_family(vocabulary: Vocabulary, vector: np.ndarray, minimum: float) -> list[tuple[str, float]]:
    sims = vocabulary.tag_vectors @ vector
    return [(vocabulary.tag_names[i], float(sims[i])) for i in np.argsort(-sims) if sims[i] >= minimum]


def with_children(vocabulary: Vocabulary, names: Iterable[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        for tag in (name, *vocabulary.tag_children.get(name, ())):
            if tag not in result:
                result.append(tag)
    return result


def resolve_tag_hint(vocabulary: Vocabulary, hint: str, vectors: Mapping[str, np.ndarray]) -> str | None:
    if hint in vocabulary.tag_names:
        return hint
    if not len(vocabulary.tag_names) or hint not in vectors:
        return None
    sims = vocabulary.tag_vectors @ vectors[hint]
    best = int(np.argmax(sims))
    return vocabulary.tag_names[best] if sims[best] >= 0.85 else None


def add_include(intent: Intent, name: str, confidence: float, source: str) -> None:
    confidence = round(min(1.0, confidence), 3)
    for tag in intent.include_tags:
        if tag.name == name:
            tag.confidence = max(tag.confidence, confidence)
            return
    intent.include_tags.append(TagChoice(name=name, confidence=confidence, source=source))


def apply_lexicon(
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
                _combine_overlapping(existing, low, high, weight, entry.label)
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


# A range counting less than this share of another's does not narrow it: "mellow songs for a
# quiet afternoon" keeps mellow's energy, not its overlap with a half-weighted "morning".
NARROW_MIN_SHARE = 0.75


def _combine_overlapping(existing: FeatureRange, low: float, high: float, weight: float, label: str) -> None:
    """Two overlapping ranges on one feature: comparable ones keep their overlap, a much
    stronger one replaces a weak one, a much weaker one leaves it alone."""
    if weight < NARROW_MIN_SHARE * existing.confidence:
        return
    if existing.confidence < NARROW_MIN_SHARE * weight:
        existing.low, existing.high, existing.source = low, high, label
    else:
        existing.low, existing.high = max(existing.low, low), min(existing.high, high)
    existing.confidence = round(max(existing.confidence, weight), 3)


def normalize(prompt: str) -> str:
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
