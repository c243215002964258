"""The prompt grammar: what people write about numbers, bounds, eras, negation and intensity, read
before any similarity matching (no Django imports).

Similarity (``playlists.engine.matching``) only picks *which* concept a word means; everything
that decides a direction — "under", "nothing longer than", "no", "not too", "low", "before" — is
read here, literally, so a polarity can never be flipped by an embedding that does not see it.

Each reader finds its phrases in ``Scan.text``, records what it read in ``Scan.reading`` and
blanks the phrase out, so what is left for matching is what no grammar consumed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

# Open ends of ranges: a bound the listener did not give.
TEMPO_CEILING = 300.0
TRACK_CEILING_MS = 3_600_000.0
ERA_FLOOR, ERA_CEILING = 1000, 2100
CURRENT_YEAR = date.today().year  # "this year", "the last 5 years"
CURRENT_DECADE = CURRENT_YEAR // 10 * 10
# "a short playlist", "a long playlist": half and twice the default 30 tracks.
SHORT_PLAYLIST_SIZE, LONG_PLAYLIST_SIZE = 15, 60
# "around 128 bpm": a beat-matching DJ's tolerance either side.
TEMPO_AROUND = 6.0
# A comparison with up to this many minutes is about each track ("under 4 minutes"); more is
# about the whole playlist ("under 90 minutes").
MAX_TRACK_MINUTES = 12.0


@dataclass
class Reading:
    """What the grammar read, in the units of the Track columns (tempo BPM, duration ms, years)."""

    tempo: tuple[float, float] | None = None
    track_ms: tuple[float, float] | None = None
    duration_seconds: int | None = None
    size: int | None = None
    era: tuple[int, int] | None = None
    sources: dict[str, str] = field(default_factory=dict)
    # Word (as left in the text) -> "strong" / "mild", from "very calm", "a bit upbeat".
    intensity: dict[str, str] = field(default_factory=dict)
    # Soft feature directions read from "low energy", "lots of vocals": (feature, "low"/"high", words).
    directions: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Scan:
    """The prompt being read; readers blank out what they consumed."""

    text: str
    reading: Reading = field(default_factory=Reading)

    def consume(self, match: re.Match[str]) -> None:
        start, end = match.span()
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def scan_all(scan: Scan, pattern: str, handle: Callable[[re.Match[str]], None]) -> None:
    for match in list(re.finditer(pattern, scan.text)):
        handle(match)
        scan.consume(match)


# --- numbers ----------------------------------------------------------------------------------

UNIT_WORDS = {
    "zero": 0,
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
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS_WORDS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNITS = "|".join(sorted(UNIT_WORDS, key=len, reverse=True))
_TENS = "|".join(TENS_WORDS)
_BELOW_HUNDRED = rf"(?:(?:{_TENS})(?:[\s-](?:{_UNITS}))?|(?:{_UNITS}))"
NUMBER_WORD = rf"(?:(?:a|one|two|three)\s+hundred(?:\s+and)?(?:\s+{_BELOW_HUNDRED})?|{_BELOW_HUNDRED})"
# A number word is only a number before something counted or measured ("no one knows" stays).
_COUNTED = (
    r"(?=\s*(?:-\s*)?(?:and a half|bpm|beats|minutes?|mins?|seconds?|secs?|hours?|hrs?|songs?|tracks?|years"
    r"|tunes|pieces|to\b|and\b|or\b|-|$))"
)


def _number_word_value(words: str) -> float:
    total = 0.0
    for word in re.split(r"[\s-]+", words):
        if word in ("a", "one") and "hundred" in words and total == 0:
            total = 1
        elif word == "hundred":
            total = max(total, 1) * 100
        elif word in TENS_WORDS:
            total += TENS_WORDS[word]
        elif word in UNIT_WORDS:
            total += UNIT_WORDS[word]
    return total


def _digits(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def numbers_to_digits(text: str) -> str:
    """Spelled-out amounts as digits: "two and a half hours" -> "2.5 hours", "half an hour" ->
    "30 minutes", "3:30" -> "3.5 minutes", "a dozen" -> "12"."""
    text = re.sub(r"\bhalf an? hour\b|\bhalf-hour\b|\bhalf hour\b", "30 minutes", text)
    text = re.sub(r"\b(?:an?|one) hour and a half\b", "90 minutes", text)
    text = re.sub(r"\ban?\s+(hour|minute)\b", r"1 \1", text)
    text = re.sub(r"\bhalf a dozen\b", "6", text)
    text = re.sub(r"\b(?:a|one)\s+dozen\b", "12", text)
    text = re.sub(rf"\b({NUMBER_WORD}){_COUNTED}", lambda match: _digits(_number_word_value(match[1])), text)
    text = re.sub(r"\b(\d+(?:\.\d+)?)\s+and a half\b", lambda m: _digits(float(m[1]) + 0.5), text)
    text = re.sub(
        r"\b(\d{1,2}):([0-5]\d)\b(?:\s*(?:minutes?|mins?|min)\b)?",
        lambda m: f"{_digits(round(int(m[1]) + int(m[2]) / 60, 3))} minutes",
        text,
    )
    return re.sub(r"\ba couple of\b", "2", text)


# --- comparatives -----------------------------------------------------------------------------

NUM = r"(\d+(?:\.\d+)?)"
TEMPO_UNIT = r"(?:bpm|beats per minute|beats a minute)"
MINUTE_UNIT = r"(?:minutes?|mins?)\b"
SECOND_UNIT = r"(?:seconds?|secs?)\b"
HOUR_UNIT = r"(?:hours?|hrs?|hr)\b"
AT_LEAST = (
    r"(?:over|above|more than|at least|longer than|faster than|greater than|higher than|minimum(?: of)?"
    r"|min\.?|upwards of|beyond|in excess of|north of)"
)
AT_MOST = (
    r"(?:under|below|less than|at most|shorter than|slower than|fewer than|lower than|up to"
    r"|maximum(?: of)?|max\.?|within|tops|beneath)"
)
# A negation a few filler words before a comparison turns it round: "nothing longer than 4
# minutes" is at most 4, "no less than 120 bpm" at least 120, "not above" at most.
NEGATED_PREFIX = (
    r"(?P<negated>\b(?:nothing|no|not|none|never|avoid|skip|without)\b"
    r"(?:\s+(?:songs?|tracks?|tunes|music|anything|any|ones?|that'?s|that is|which is|is|are|being"
    r"|each|at all|stuff|that|which))*\s+)?"
)
_UNIT_WORDS = r"bpm|beats|minutes?|mins?|min|seconds?|secs?|hours?|hrs?|hr|years?|percent|decades?|s"
OR_MORE = r"(?:or (?:more|faster|longer|higher|above|over|up)|plus|\+|and (?:up|above|over|more))"
OR_LESS = r"(?:or (?:less|slower|shorter|lower|under|below|fewer)|max|tops|at most|and under|and below)"


@dataclass(frozen=True)
class Bound:
    low: float | None
    high: float | None


def _compared(match: re.Match[str], value: float) -> Bound:
    """The bound a comparison phrase gives, with a leading negation reversing it."""
    at_least = match["direction"] is not None and re.fullmatch(AT_LEAST, match["direction"]) is not None
    if match.groupdict().get("negated"):
        at_least = not at_least
    return Bound(value, None) if at_least else Bound(None, value)


VALUE = r"(?P<value>\d+(?:\.\d+)?)"


def _comparison(unit: str) -> str:
    return (
        rf"{NEGATED_PREFIX}\b(?P<direction>{AT_LEAST}|{AT_MOST})\s*(?:of\s+)?{VALUE}\s*(?:-\s*)?{unit}"
        r"(?:\s+long\b)?"
    )


def _suffix_comparison(unit: str) -> str:
    return (
        rf"\b{VALUE}\s*(?:-\s*)?{unit}(?:\s+(?:long|per (?:song|track)|each))?"
        rf"\s+(?P<suffix>{OR_MORE}|{OR_LESS})"
    )


def _between(first_unit: str, unit: str) -> str:
    return (
        rf"\b(?:between\s+|from\s+)?(?P<low>\d+(?:\.\d+)?)\s*(?:{first_unit})?\s*(?:-|to|and|–)\s*"
        rf"(?P<high>\d+(?:\.\d+)?)\s*(?:-\s*)?{unit}"
    )


def _suffix_bound(match: re.Match[str], value: float) -> Bound:
    return Bound(value, None) if re.fullmatch(OR_MORE, match["suffix"]) else Bound(None, value)


def read_tempo(scan: Scan) -> None:
    def keep(bound: Bound, source: str) -> None:
        low = bound.low if bound.low is not None else 0.0
        high = bound.high if bound.high is not None else TEMPO_CEILING
        scan.reading.tempo = (low, high)
        scan.reading.sources["tempo"] = source.strip()

    def between(match: re.Match[str]) -> None:
        low, high = sorted((float(match["low"]), float(match["high"])))
        keep(Bound(low, high), match[0])

    def around(match: re.Match[str]) -> None:
        bpm = float(match[1])
        keep(Bound(bpm - TEMPO_AROUND, bpm + TEMPO_AROUND), match[0])

    tempo_unit = rf"{TEMPO_UNIT}"
    scan_all(scan, _between(tempo_unit, tempo_unit), between)
    scan_all(scan, _comparison(tempo_unit), lambda m: keep(_compared(m, float(m["value"])), m[0]))
    scan_all(scan, _suffix_comparison(tempo_unit), lambda m: keep(_suffix_bound(m, float(m["value"])), m[0]))
    # "faster than 120", "tempo over 140": a bare number compared on speed is a tempo.
    speed = r"(?P<direction>faster than|slower than)"
    scan_all(
        scan,
        rf"{NEGATED_PREFIX}\b{speed}\s*{VALUE}\b(?!\s*(?:minutes?|mins?|seconds?|hours?|%))",
        lambda m: keep(_compared(m, float(m["value"])), m[0]),
    )
    # The scale named before the number: "a bpm above 150", "tempo of at least 140", "bpm
    # between 120 and 130", "a tempo of 150 or more", "a bpm of 128".
    named = (
        r"\b(?:tempo|bpm|beats per minute|speed)\s+"
        r"(?:(?:of|is|at|that is|that's|should be|must be|has to be|needs to be)\s+)?"
    )
    unit_after = rf"(?:\s*{tempo_unit})?"
    scan_all(
        scan,
        rf"{named}(?:between\s+|from\s+)?(?P<low>\d+(?:\.\d+)?)\s*(?:-|to|and|–)\s*(?P<high>\d+(?:\.\d+)?)\b"
        rf"{unit_after}",
        between,
    )
    scan_all(
        scan,
        rf"{named}{NEGATED_PREFIX}(?P<direction>{AT_LEAST}|{AT_MOST})\s*{VALUE}\b{unit_after}",
        lambda m: keep(_compared(m, float(m["value"])), m[0]),
    )
    scan_all(
        scan,
        rf"{named}{VALUE}\b{unit_after}\s+(?P<suffix>{OR_MORE}|{OR_LESS})",
        lambda m: keep(_suffix_bound(m, float(m["value"])), m[0]),
    )
    scan_all(scan, rf"{named}(?:around\s+|about\s+)?{NUM}\b{unit_after}", around)
    scan_all(
        scan, rf"\b(?:around|about|roughly|approximately|approx\.?|~|at)?\s*{NUM}\s*{tempo_unit}", around
    )


def _duration_unit_seconds(unit: str) -> float:
    if re.match(HOUR_UNIT, unit):
        return 3600.0
    if re.match(SECOND_UNIT, unit):
        return 1.0
    return 60.0


def _is_track_length(seconds: float, context: str) -> bool:
    if re.search(r"\b(?:playlist|total|in all|overall|altogether|mix|set)\b", context):
        return False
    return seconds <= MAX_TRACK_MINUTES * 60


def read_lengths(scan: Scan) -> None:
    """Track lengths from comparisons ("under 4 minutes", "nothing longer than 150 seconds") and
    the playlist's length from amounts ("an hour", "90 minutes", "20 songs")."""
    unit = rf"(?P<unit>{MINUTE_UNIT}|{SECOND_UNIT}|{HOUR_UNIT})"

    def keep(bound: Bound, match: re.Match[str]) -> None:
        scale = _duration_unit_seconds(match["unit"])
        low = bound.low * scale if bound.low is not None else None
        high = bound.high * scale if bound.high is not None else None
        given = high if high is not None else low
        context = scan.text[max(0, match.start() - 30) : match.end() + 30]
        if given is not None and _is_track_length(given, context):
            scan.reading.track_ms = (
                (low or 0.0) * 1000,
                high * 1000 if high is not None else TRACK_CEILING_MS,
            )
            scan.reading.sources["duration_ms"] = match[0].strip()
        elif given is not None:
            scan.reading.duration_seconds = int(given)

    def between(match: re.Match[str]) -> None:
        low, high = sorted((float(match["low"]), float(match["high"])))
        keep(Bound(low, high), match)

    plain_unit = f"{MINUTE_UNIT}|{SECOND_UNIT}|{HOUR_UNIT}"
    scan_all(scan, _between(plain_unit, unit), between)
    scan_all(scan, _comparison(unit), lambda m: keep(_compared(m, float(m["value"])), m))
    scan_all(scan, _suffix_comparison(unit), lambda m: keep(_suffix_bound(m, float(m["value"])), m))

    def amount(match: re.Match[str]) -> None:
        seconds = float(match[1]) * _duration_unit_seconds(match["unit"])
        scan.reading.duration_seconds = int(seconds)

    def size(match: re.Match[str]) -> None:
        scan.reading.size = int(float(match[1]))

    scan_all(scan, rf"\b{NUM}\s+(?:songs?|tracks?|tunes|pieces)\b", size)
    # "12 rock songs", "15 upbeat pop tracks": a count with words between it and the noun (not a
    # unit: "20 minute songs" is a length); only the number is consumed, the words are the wish.
    described = rf"(?!(?:{_UNIT_WORDS})\b)[^\W\d][\w&'-]*"
    count = r"(?<!top )\b(\d{1,3})(?![\d.])"  # "top 40 pop" is the charts, not 40 songs
    scan_all(scan, rf"{count}(?=\s+(?:{described}\s+){{1,3}}(?:songs?|tracks?|tunes|pieces)\b)", size)
    # "a long 2 hour playlist": the length says it; "long" is not long songs.
    scan_all(scan, rf"\b(?:long|longer|short|shorter)(?=\s+{NUM}\s*(?:-\s*)?{unit})", lambda match: None)
    scan_all(scan, rf"\b{NUM}\s*(?:-\s*)?{unit}(?:\s*-?\s*long)?", amount)

    # "a short playlist" is about the playlist, not its tracks (which "short songs" are about);
    # a number of tracks or a length given as well wins.
    def sized(tracks: int) -> Callable[[re.Match[str]], None]:
        def keep(match: re.Match[str]) -> None:
            if scan.reading.size is None and scan.reading.duration_seconds is None:
                scan.reading.size = tracks

        return keep

    playlist = r"\s+(?:playlist|mix|set|list)\b"
    scan_all(scan, rf"\b(?:short|shorter|small|little){playlist}", sized(SHORT_PLAYLIST_SIZE))
    scan_all(scan, rf"\b(?:long|longer|big|bigger|huge|large|extended){playlist}", sized(LONG_PLAYLIST_SIZE))


# --- eras -------------------------------------------------------------------------------------

DECADE_WORDS = {
    "fifties": "1950s",
    "sixties": "1960s",
    "seventies": "1970s",
    "eighties": "1980s",
    "nineties": "1990s",
    "two thousands": "2000s",
    "noughties": "2000s",
    "aughts": "2000s",
    "twenty-tens": "2010s",
    "twenty tens": "2010s",
    "twenty-twenties": "2020s",
}


def decade_words_to_digits(text: str) -> str:
    """ "the eighties" -> "the 1980s", "'90s" / "90's" -> "90s"."""
    pattern = r"\b(" + "|".join(sorted(map(re.escape, DECADE_WORDS), key=len, reverse=True)) + r")\b"
    text = re.sub(pattern, lambda match: DECADE_WORDS[match[1]], text)
    text = re.sub(r"'(\d0s)\b", r"\1", text)
    return re.sub(r"\b(\d{1,3}0)'s\b", r"\1s", text)


DECADE = r"(?:(19|20)?(\d)0s)"


def _decade_start(century: str | None, digit: str) -> int:
    tens = int(digit) * 10
    if century:
        return int(century) * 100 + tens
    # "20s" alone means the 2020s, "30s".."90s" the 1900s, "00s"/"10s" this century.
    return 2000 + tens if tens <= 20 else 1900 + tens


def _merge_era(reading: Reading, low: int, high: int) -> None:
    if reading.era is None:
        reading.era = (low, high)
    else:
        reading.era = (min(reading.era[0], low), max(reading.era[1], high))


def read_era(scan: Scan) -> None:
    reading = scan.reading

    def decade(match: re.Match[str]) -> None:
        start = _decade_start(match[2], match[3])
        low, high = start, start + 9
        part = match[1]
        if part == "early":
            high = start + 4
        elif part == "late":
            low = start + 5
        elif part == "mid":
            low, high = start + 3, start + 7
        _merge_era(reading, low, high)

    def decades(match: re.Match[str]) -> None:
        first = _decade_start(match[1], match[2])
        second = _decade_start(match[3], match[4])
        _merge_era(reading, min(first, second), max(first, second) + 9)

    def year_span(match: re.Match[str]) -> None:
        low, high = sorted((int(match[1]), int(match[2])))
        _merge_era(reading, low, high)

    year = r"((?:19|20)\d\d)"
    scan_all(scan, r"\bthis decade\b", lambda m: _merge_era(reading, CURRENT_DECADE, CURRENT_DECADE + 9))
    scan_all(scan, r"\blast decade\b", lambda m: _merge_era(reading, CURRENT_DECADE - 10, CURRENT_DECADE - 1))
    scan_all(scan, r"\bthis year(?:'s)?\b", lambda m: _merge_era(reading, CURRENT_YEAR, CURRENT_YEAR))
    scan_all(scan, r"\blast year(?:'s)?\b", lambda m: _merge_era(reading, CURRENT_YEAR - 1, CURRENT_YEAR - 1))
    scan_all(
        scan,
        r"\b(?:the\s+)?(?:last|past)\s+(\d{1,2})\s+years\b",
        lambda m: _merge_era(reading, CURRENT_YEAR - int(m[1]), CURRENT_YEAR),
    )
    scan_all(
        scan, r"\b(?:the\s+)?past decade\b", lambda m: _merge_era(reading, CURRENT_YEAR - 10, CURRENT_YEAR)
    )
    scan_all(scan, rf"\b(?:between\s+|from\s+)?{year}\s*(?:-|to|and|until|through|–)\s*{year}\b", year_span)
    scan_all(
        scan,
        rf"\b(?:since|after|from)\s+{year}\s+(?:on(?:wards?)?|and later|and after|and beyond)\b",
        lambda m: _merge_era(reading, int(m[1]), ERA_CEILING),
    )
    scan_all(
        scan,
        rf"\b{year}\s+(?:and|or)\s+(?:later|after|newer|since|beyond)\b",
        lambda m: _merge_era(reading, int(m[1]), ERA_CEILING),
    )
    scan_all(
        scan,
        rf"\b{year}\s+(?:and|or)\s+(?:earlier|before|older)\b",
        lambda m: _merge_era(reading, ERA_FLOOR, int(m[1])),
    )
    scan_all(
        scan,
        rf"\b(?:since|newer than|as of)\s+(?:the\s+year\s+)?{year}\b(?!\s*s\b)",
        lambda m: _merge_era(reading, int(m[1]), ERA_CEILING),
    )
    # "nothing before 1990" is from 1990 on, "nothing after 2000" up to 2000.
    scan_all(
        scan,
        rf"\b(?:nothing|no songs?|no tracks?|none|not)\s+(?:from\s+|released\s+)?"
        rf"(?:before|older than|prior to)\s+{year}\b",
        lambda m: _merge_era(reading, int(m[1]), ERA_CEILING),
    )
    scan_all(
        scan,
        rf"\b(?:nothing|no songs?|no tracks?|none|not)\s+(?:from\s+|released\s+)?"
        rf"(?:after|newer than|since)\s+{year}\b",
        lambda m: _merge_era(reading, ERA_FLOOR, int(m[1])),
    )
    the_year = r"(?:the\s+year\s+)?"
    scan_all(
        scan,
        rf"\b(?:after|post-?)\s*{the_year}{year}\b",
        lambda m: _merge_era(reading, int(m[1]) + 1, ERA_CEILING),
    )
    scan_all(
        scan,
        rf"\b(?:before|older than|pre-?|prior to)\s*{the_year}{year}\b",
        lambda m: _merge_era(reading, ERA_FLOOR, int(m[1]) - 1),
    )
    # "rock up to 1979", "until 1995": the year is the last one.
    scan_all(
        scan,
        rf"\b(?:up to|until|till|through|no later than|not after)\s+{the_year}{year}\b(?!s)",
        lambda m: _merge_era(reading, ERA_FLOOR, int(m[1])),
    )
    scan_all(
        scan,
        rf"\b(?:the year|in|released in|of|from)\s+{year}\b(?!s)",
        lambda m: _merge_era(reading, int(m[1]), int(m[1])),
    )
    scan_all(scan, rf"\b{DECADE}\s*(?:and|or|to|through|-|&)\s*(?:the\s+)?{DECADE}", decades)
    scan_all(scan, rf"\b(?:from\s+|of\s+|in\s+)?(?:the\s+)?(early|mid|late)?[\s-]*{DECADE}(?=\W|$)", decade)
    scan_all(scan, rf"(?<![\d.-]){year}(?![\d-])", lambda m: _merge_era(reading, int(m[1]), int(m[1])))


# --- intensity and explicit directions ---------------------------------------------------------

STRONG = r"very|super|really|extremely|so|quite|pretty|ultra|totally|incredibly|highly"
MILD = r"a bit|a little|slightly|somewhat|kind of|kinda|sort of|mildly|a touch|fairly|rather"


def read_intensity(scan: Scan) -> None:
    """ "very calm" / "a bit upbeat": the word they modify, remembered; the modifier consumed.
    "not too X" and "not very X" are negations, left for the negation reader."""

    def strong(match: re.Match[str]) -> None:
        scan.reading.intensity[match[1]] = "strong"

    def mild(match: re.Match[str]) -> None:
        scan.reading.intensity[match[1]] = "mild"

    scan_all(scan, rf"(?<!not )(?<!nothing )\b(?:{STRONG})\b(?=\s+([\w-]+))", strong)
    scan_all(scan, rf"\b(?:{MILD})\b(?=\s+([\w-]+))", mild)


LOW_WORDS = r"low|lower|little|minimal|less|not much|reduced|hardly any|barely any|zero|soft"
HIGH_WORDS = r"high|higher|lots of|a lot of|plenty of|full of|much|max|maximum|big|tons of|heavy on|more"
# Feature nouns people use, mapped to Track columns.
FEATURE_NOUNS = {
    "energy": "energy",
    "tempo": "tempo",
    "bpm": "tempo",
    "positivity": "valence",
    "valence": "valence",
    "danceability": "danceability",
    "popularity": "popularity",
    "loudness": "loudness",
    "volume": "loudness",
    "acousticness": "acousticness",
    "vocals": "vocals",
    "singing": "vocals",
}


_NEGATED_BEFORE = re.compile(r"\b(?:no|not|nothing|without|never|none|avoid)\s+(?:too\s+|any\s+|so\s+)?$")


def read_directions(scan: Scan) -> None:
    """ "low energy", "high-tempo", "lots of vocals", "medium tempo": a feature and its direction,
    read as words; "not too fast, not too slow" is the middle of the tempo scale."""
    nouns = "|".join(FEATURE_NOUNS)

    def direction(match: re.Match[str]) -> None:
        side = "low" if re.fullmatch(LOW_WORDS, match[1]) else "high"
        if _NEGATED_BEFORE.search(scan.text[: match.start()]):
            side = "high" if side == "low" else "low"
        scan.reading.directions.append((FEATURE_NOUNS[match[2]], side, match[0].strip()))

    def middle(match: re.Match[str]) -> None:
        feature = FEATURE_NOUNS[match[1]]
        if feature != "vocals":  # "medium vocals" names no range
            scan.reading.directions.append((feature, "mid", match[0].strip()))

    scan_all(scan, rf"\b(?:{MID_WORDS})[\s-]+({nouns})\b", middle)
    # Only the two ends of one scale: "not too loud, not too heavy" stays two negations.
    for match in list(re.finditer(_NEITHER_END, scan.text)):
        feature = MIDDLE_OF.get(frozenset((match["first"], match["second"])))
        if feature is not None:
            scan.reading.directions.append((feature, "mid", match[0].strip()))
            scan.consume(match)
    scan_all(scan, rf"\b({LOW_WORDS}|{HIGH_WORDS})[\s-]+({nouns})\b", direction)


MID_WORDS = r"medium|mid|middle|moderate|moderately|average|midrange|mid-range|in-between|in between"
# The two ends of a scale, both refused: "not too fast, not too slow", "neither too loud nor too quiet".
MIDDLE_OF = {
    frozenset(("fast", "slow")): "tempo",
    frozenset(("loud", "quiet")): "loudness",
    frozenset(("happy", "sad")): "valence",
    frozenset(("energetic", "calm")): "energy",
    frozenset(("intense", "mellow")): "energy",
    frozenset(("popular", "obscure")): "popularity",
}
_NEITHER_END = (
    r"\b(?:not too|neither too|neither|not)\s+(?P<first>[\w-]+)\s*(?:,|and|or|but|nor)?\s*(?:also\s+)?"
    r"(?:not too|nor too|nor|not)\s+(?P<second>[\w-]+)\b"
)


# --- negation ---------------------------------------------------------------------------------

NEGATION_CUES = (
    r"(?:anything but|everything but|all but|anything except|everything except|except for|except"
    r"|excluding|other than|but not|not|no|without|nothing|none of|none|never|skip(?: the)?|avoid"
    r"|minus|leave out|hold the|don't want|do not want|dont want|don't play|do not play|no more|ban"
    r"|isn't|aren't|free of|sin|sans|ohne|senza|sem)"
)
_NEGATION_FILLER = (
    r"(?:\s+(?:any|more|a|an|the|too|much|of|that|so|very|overly|songs?|tracks?|music|stuff|kind of"
    r"|type of|with|songs with|tracks with|is|are|at all|ever))*"
)
# Where a negation's scope ends: punctuation, a conjunction turning positive, a new request.
CLAUSE_END = re.compile(
    r"[,.;!?()]|\b(?:but|with|for|that|just|only|while|so|then|please|though|instead|rather"
    r"|and (?:lots|some|plenty|more|a lot|also|then|just|only|make|give|play|i|it|with))\b"
)
_CONJUNCTION = re.compile(r"\s*(?:\band\b|\bor\b|\bnor\b|/|&(?!b)|,)\s*")


_NEGATED_DEGREE = re.compile(
    r"\b(?:not|nothing|never|none|isn't|aren't)\s+(?:too|very|so|overly|that|super)\s+([\w-]+)"
)


def negated_clauses(text: str) -> tuple[str, list[str]]:
    """The text without negated clauses, and those clauses' objects: "no metal or punk" ->
    ["metal", "punk"], "anything but country" -> ["country"]."""
    excluded: list[str] = []
    # "not too fast hip hop": a negated degree reaches one word, the rest is wanted.
    for degree in list(_NEGATED_DEGREE.finditer(text)):
        excluded.append(degree[1])
        text = text[: degree.start()] + " " * (degree.end() - degree.start()) + text[degree.end() :]
    cue = re.compile(rf"\b{NEGATION_CUES}\b{_NEGATION_FILLER}\s+")
    while True:
        match = cue.search(text)
        if match is None:
            return text, excluded
        end_match = CLAUSE_END.search(text, match.end())
        end = end_match.start() if end_match else len(text)
        clause = text[match.end() : end].strip()
        if clause:
            excluded.extend(part.strip() for part in _CONJUNCTION.split(clause) if part.strip())
        text = text[: match.start()] + " " * (end - match.start()) + text[end:]


def expand_free_suffix(text: str) -> str:
    """ "rap-free" -> "no rap", "vocal-free" -> "no vocal"."""
    return re.sub(r"\b([\w&]+)-free\b", r"no \1", text)
