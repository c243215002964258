"""The parts of a prompt the grammar leaves to the parser: stop words, familiarity, energy arc, seed artists
(no Django imports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playlists.engine.grammar import (
    Reading,
    Scan,
    read_directions,
    read_era,
    read_intensity,
    read_lengths,
    read_tempo,
)
from playlists.engine.intent import FeatureRange, Intent, Vocabulary
from playlists.engine.lexicon import ARC_PHRASES, ARTIST_STYLES, direction_range

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
    released each whose lasts lasting duration length definitely absolutely certainly
"""


STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


WORD = re.compile(r"[\w&'+]+(?:-[\w&'+]+)*", re.UNICODE)


@dataclass
class _Scan:
    """The prompt being read: readers blank out what they consumed."""

    text: str
    intent: Intent

    def consume(self, match: re.Match[str], *, start: int | None = None) -> None:
        """Blank out ``match`` (from ``start`` when given: part of it stays to be read)."""
        start = match.start() if start is None else start
        end = match.end()
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def _set_range(intent: Intent, feature: str, low: float, high: float, *, source: str) -> None:
    intent.feature_ranges[feature] = FeatureRange(
        low=low, high=high, hard=True, confidence=1.0, source=source.strip()
    )


def read_grammar(scan: _Scan) -> Reading:
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


def read_familiarity(scan: _Scan) -> None:
    for name, pattern in FAMILIARITY_PATTERNS.items():
        for match in list(re.finditer(pattern, scan.text)):
            scan.intent.familiarity = name
            scan.consume(match)


# Words that set the scene rather than ask for music: "after a run" (the run is over, nothing to
# pace), "a long day" (the day is long, not the songs).
_AFTER_AN_ACTIVITY = re.compile(
    r"\bafter\s+(?:(?:a|the|my|your|our)\s+)?(?:(?:long|hard|busy)\s+)?"
    r"(?:run|jog|workout|gym(?:\s+session)?|training|practice|game|work|school|shift|day|week)\b"
)
_LONG_OCCASION = re.compile(
    r"\blong(?=\s+(?:days?|weeks?|nights?|shifts?|drives?|road trips?|trips?|flights?|journeys?|rides?"
    r"|walks?)\b)"
)


def read_occasion(scan: _Scan) -> None:
    for pattern in (_AFTER_AN_ACTIVITY, _LONG_OCCASION):
        for match in list(pattern.finditer(scan.text)):
            scan.consume(match)


# No explicit tracks: "no explicit lyrics", "nothing explicit", "no swearing", "clean versions",
# "family friendly", "for the kids". "explicit" alone needs its noun or the clause's end, so "no
# explicit gangsta rap" stays a genre exclusion.
_CLEAN = re.compile(
    r"\b(?:(?:no|not|nothing|without|non|zero|avoid(?:\s+anything)?)[\s-]+(?P<explicit>explicit"
    r"(?:\s+(?:lyrics|content|songs|tracks|versions|language|words|stuff)\b|(?=\s*(?:[,.;!?]|$|or\b|and\b))))"
    r"|(?:no|not|without|zero)\s+(?:swearing|swear words|cursing|curse words|cussing|profanity|bad words"
    r"|parental advisory)\b"
    r"|clean\s+(?:versions?|lyrics|songs|tracks|edits?|only|language)\b"
    r"|(?:family|kid|kids|child|children)[\s-]*(?:friendly|safe)\b"
    r"|for (?:the |my )?(?:kids|children|little ones)\b|kids'?(?=\s+(?:party|songs|music|tracks|playlist)\b)"
    r"|radio edits?\b|explicit[\s-]free\b)"
)


def read_clean(scan: _Scan) -> None:
    for match in list(_CLEAN.finditer(scan.text)):
        scan.intent.clean = True
        # "avoid anything explicit or aggressive": the negation still reaches "aggressive".
        scan.consume(match, start=match.start("explicit") if match["explicit"] else None)


def read_arc(scan: _Scan) -> None:
    for arc, phrases in ARC_PHRASES.items():
        pattern = r"\b(?:" + "|".join(re.escape(phrase) for phrase in phrases) + r")\b"
        matches = [match for match in re.finditer(pattern, scan.text) if not _is_purpose(scan.text, match)]
        if matches:
            scan.intent.energy_arc = arc
            for match in matches:
                scan.consume(match)
            return


# "music for winding down", "something to wind down to": the phrase says what the music is for
# (the lexicon reads it as a mood), not how the playlist should change along the way.
_PURPOSE_BEFORE = re.compile(r"\b(?:for|to)\s+$")


def _is_purpose(text: str, match: re.Match[str]) -> bool:
    return _PURPOSE_BEFORE.search(text[: match.start()]) is not None


SEED_PATTERN = (
    r"\b(?:(?:sounds?|sounding)\s+like|similar to|in the style of|inspired by|reminiscent of|like|fans? of|"
    r"in the vein of|artists like|the likes of)\s+([^,.;!?]+?)"
    r"(?=\s+(?:but|with|for|and then|only|from|without)\b|[,.;!?]|$)"
)


# "Taylor Swift vibes", "Radiohead style songs": a name before a style word.
NAME_BEFORE_STYLE = (
    r"([^\W\d][\w'.&-]*(?:\s+[^\W\d][\w'.&-]*){0,2})\s+(?:vibes|style|type|kind of|esque|-esque)\b"
)


def read_seed_artists(scan: _Scan, vocabulary: Vocabulary, prompt: str) -> None:
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


def looks_like_a_name(prompt: str, text: str) -> str | None:
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
        name = looks_like_a_name(prompt, part) or looks_like_a_name(prompt, " ".join(part.split()[:2]))
        if name or part in ARTIST_STYLES:
            unknown.append(name or part)
    return known, unknown
