"""``parse_prompt``: a prompt compiled to an Intent (no Django imports).

Numbers, eras, lengths, negations, seed artists and familiarity are read with small grammars
(``playlists.engine.grammar``, ``playlists.engine.prompt_scan``); what is left is matched against the
catalog's tags and the lexicon (``playlists.engine.matching``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from playlists.engine.grammar import (
    Reading,
    decade_words_to_digits,
    expand_free_suffix,
    negated_clauses,
    numbers_to_digits,
)
from playlists.engine.intent import (
    FeatureRange,
    Intent,
    NotUnderstoodError,
    Vocabulary,
    validate_prompt,
    validate_size,
)
from playlists.engine.language import ENGLISH, LANGUAGE_NAMES, READ_LANGUAGES, detect_language, to_english
from playlists.engine.lexicon import (
    ANTONYMS,
    ARTIST_STYLES,
    BINARY_CHARACTERS,
    ENERGY_ARCS,
    FEATURE_SCALES,
    LEXICON,
    LexiconEntry,
    tag_hint_names,
)
from playlists.engine.matching import (
    AVOID_MIN,
    EXACT_TAG_MIN,
    EXCLUDE_FAMILY_MIN,
    LEXICON_MATCH_MIN,
    NEUTRAL_WORDS,
    TAG_FAMILY_MIN,
    TAG_MATCH_MIN,
    SpanMatch,
    add_include,
    apply_lexicon,
    best_matches,
    is_literal_phrase,
    normalize,
    resolve_tag_hint,
    tag_family,
    with_children,
    with_polarity,
    word_spans,
)
from playlists.engine.prompt_scan import (
    STOP_WORDS,
    WORD,
    _Scan,
    looks_like_a_name,
    read_arc,
    read_clean,
    read_familiarity,
    read_grammar,
    read_occasion,
    read_seed_artists,
)
from playlists.engine.words import is_known_word

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
    text = normalize(prompt)
    foreign_unknown: list[str] = []
    if language != ENGLISH:
        text, foreign_unknown = to_english(text, language)
    text = expand_free_suffix(numbers_to_digits(decade_words_to_digits(text)))
    scan = _Scan(text=text, intent=intent)
    read_familiarity(scan)
    read_occasion(scan)
    read_clean(scan)
    _read_lexicon_literals(scan, vocabulary)
    reading = read_grammar(scan)
    read_arc(scan)
    lessened = _read_less(scan)
    before_negation = scan.text
    positive_text, negated = negated_clauses(scan.text)
    negated = [
        phrase
        for phrase in (_RAPPING.sub("rap", _GENERIC_NOUNS.sub("", phrase)).strip() for phrase in negated)
        if phrase
    ]
    negated, wanted = _split_negated_adjectives(negated, before_negation, vocabulary)
    scan.text = f"{positive_text} , {' , '.join(wanted)}" if wanted else positive_text
    read_seed_artists(scan, vocabulary, prompt)
    words = [word for word in WORD.findall(scan.text)]
    spans = [text for _, _, text in word_spans(words)]
    semantic_text = _semantic_text(text)
    hints = [hint for hint in tag_hint_names(vocabulary.lexicon) if hint not in set(vocabulary.tag_names)]
    texts = list(dict.fromkeys([semantic_text, *spans, *negated, *lessened, *hints]))
    vectors = dict(zip(texts, vocabulary.encode(texts), strict=True)) if texts else {}
    intent.semantic_text = semantic_text
    matches = best_matches(words, vocabulary, vectors)
    for match in matches:
        if match.kind == "tag":
            # A tag written exactly ("electro pop") brings the family of the tag itself.
            vector = vocabulary.tag_vectors[match.index] if match.exact else vectors[match.text]
            _include_tag_family(intent, vocabulary, vector, match)
        else:
            entry = vocabulary.lexicon[match.index]
            level = _intensity_of(match.text, reading)
            apply_lexicon(intent, entry, min(1.0, match.score), match.text, level=level)
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
            intent.not_understood = [word for word in WORD.findall(normalize(prompt))][:8]
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
    tag = resolve_tag_hint(vocabulary, hint, vectors)
    if tag:
        for name in with_children(vocabulary, [tag]):
            add_include(intent, name, score, source)


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
        if index in covered or word in STOP_WORDS or word in NEUTRAL_WORDS or word.replace(".", "").isdigit():
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
        or intent.clean
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
            apply_lexicon(scan.intent, entry, 1.0, phrase)
            if entry.label in HARD_WHEN_SAID:
                # "without vocals" is an explicit constraint, as hard as a number.
                for feature in entry.ranges:
                    scan.intent.feature_ranges[feature].hard = True
            scan.consume(match)


def _include_tag_family(intent: Intent, vocabulary: Vocabulary, vector: np.ndarray, match: SpanMatch) -> None:
    best = vocabulary.tag_names[match.index]
    family = tag_family(vocabulary, vector, max(TAG_FAMILY_MIN, match.score - 0.25))
    for name, sim in [(best, match.score), *family]:
        for tag in with_children(vocabulary, [name]):
            add_include(intent, tag, min(match.score, sim), match.text)


def _exclude(
    intent: Intent, vocabulary: Vocabulary, phrase: str, vectors: Mapping[str, np.ndarray], prompt: str
) -> bool:
    """Leave out what ``phrase`` names: an artist, tags, or a side of a mood; False when unknown."""
    phrase = _GENERIC_NOUNS.sub("", phrase).strip()
    if not phrase:
        return True
    # After a degree ("not too poppy") the word is an adjective, never an artist's name.
    after_degree = re.search(rf"\b(?:too|very|so|overly)\s+{re.escape(phrase)}\b", prompt.lower())
    artist = None if after_degree else vocabulary.find_artist(re.sub(r"'s\b", "", phrase))
    vector = vectors.get(phrase)
    literal = _literal_entry(vocabulary, phrase)
    if literal is not None and phrase not in vocabulary.tag_names:
        _avoid_lexicon(intent, literal, phrase)
        return True
    family = (
        tag_family(vocabulary, vector, AVOID_MIN) if vector is not None and len(vocabulary.tag_names) else []
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
        for name in with_children(vocabulary, strong):
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
            index = with_polarity(vocabulary, phrase, vocabulary.phrase_owner[best])
            _avoid_lexicon(intent, vocabulary.lexicon[index], phrase)
            return True
    written = looks_like_a_name(prompt, phrase)
    if written:
        if written not in intent.unknown_artists:
            intent.unknown_artists.append(written)
        intent.warnings.append(f"{written} is not in the catalog, so there is nothing of theirs to leave out")
        return True
    intent.warnings.append(f"Could not tell what to leave out for 'no {phrase}'")
    return False


# Words in a negated phrase that name no genre: "no songs", "without explicit gangsta rap" (the
# genre is left out; "no explicit lyrics" alone asks for clean tracks, read before).
_GENERIC_NOUNS = re.compile(
    r"\s*\b(?:music|songs?|tracks?|tunes|stuff|ones|please|at all|anything|explicit(?=\s+\w))\b"
)


# "no rapping", "without rappers": the genre, as "no rap" is.
_RAPPING = re.compile(r"\brapp(?:ing|ers?)\b")


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
        scale_low, scale_high = feature_scale(feature)
        if low <= scale_low:
            intent.feature_ranges[feature] = FeatureRange(high, scale_high, False, 0.8, f"no {phrase}")
        elif high >= scale_high:
            intent.feature_ranges[feature] = FeatureRange(scale_low, low, False, 0.8, f"no {phrase}")


def _entry_named(label: str) -> LexiconEntry:
    return next(entry for entry in LEXICON if entry.label == label)


def feature_scale(feature: str) -> tuple[float, float]:
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
