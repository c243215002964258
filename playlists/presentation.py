"""How a playlist reads to a person (issue 19): reasons in plain words, sliders named by what
they mean with their scale, one-click refinements, and what each version changed. Pure: no
Django, so it is tested on plain values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Refinements offered under the prompt as one-click chips; each is a sentence the refine
# parser reads like one a listener typed.
SUGGESTED_REFINEMENTS = ("more upbeat", "calmer", "fewer vocals", "older", "newer", "more danceable")

# "close to your taste" on every track says nothing: keep it on this share of the list (the
# tracks taste lifted most).
TASTE_REASON_SHARE = 1 / 3
TASTE_REASON = "close to your taste"
NEW_REASON = "new to you"


def readable_reasons(reasons: Sequence[str], *, liked: bool, taste_lifted: bool) -> list[str]:
    """The engine's reasons for one track, as a listener reads them.

    ``liked``: the listener liked the track (it is not "new to you" then); ``taste_lifted``: it is
    among the tracks taste lifted most (only those keep "close to your taste").
    """
    readable = []
    for reason in reasons:
        if reason == NEW_REASON and liked:
            continue
        if reason == TASTE_REASON and not taste_lifted:
            continue
        if reason.startswith("matches: "):
            reason = "fits: " + reason.removeprefix("matches: ")
        elif reason.startswith("because you play "):
            reason = "because you played " + reason.removeprefix("because you play ")
        elif reason == "close to your words":
            reason = "fits your words"
        readable.append(reason)
    return readable or ["fits your words"]


def taste_lifted(taste_scores: Mapping[int, float]) -> set[int]:
    """Of the tracks whose reasons say "close to your taste" (id -> taste component), the share
    taste lifted most."""
    if not taste_scores:
        return set()
    keep = max(1, math.floor(len(taste_scores) * TASTE_REASON_SHARE))
    ranked = sorted(taste_scores.items(), key=lambda pair: (-pair[1], pair[0]))
    return {track_id for track_id, _ in ranked[:keep]}


# --- sliders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SliderWords:
    name: str
    low_end: str
    high_end: str
    # Five words along the scale (bottom fifth … top fifth); empty: show numbers with ``unit``.
    levels: tuple[str, ...] = ()
    unit: str = ""

    def word(self, value: float, low: float, high: float) -> str:
        if not self.levels:
            return f"{value:.0f}{self.unit}"
        share = 0.0 if high <= low else (value - low) / (high - low)
        return self.levels[min(len(self.levels) - 1, max(0, int(share * len(self.levels))))]


SLIDER_WORDS = {
    "energy": SliderWords("Energy", "calm", "intense", ("very calm", "calm", "medium", "lively", "intense")),
    "valence": SliderWords("Mood", "sad", "happy", ("very sad", "sad", "in between", "happy", "very happy")),
    "danceability": SliderWords(
        "Danceable", "hardly", "very", ("hardly", "a little", "somewhat", "very", "extremely")
    ),
    "acousticness": SliderWords(
        "Sound",
        "electric",
        "acoustic",
        ("electric", "mostly electric", "mixed", "mostly acoustic", "acoustic"),
    ),
    "instrumentalness": SliderWords("Vocals", "lots", "none", ("lots", "mostly sung", "some", "few", "none")),
    "speechiness": SliderWords("Spoken words", "none", "lots", ("none", "a little", "some", "a lot", "lots")),
    "liveness": SliderWords(
        "Recording", "studio", "live", ("studio", "mostly studio", "some live feel", "mostly live", "live")
    ),
    "tempo": SliderWords("Tempo", "slow", "fast", unit=" BPM"),
    "loudness": SliderWords("Loudness", "quiet", "loud", unit=" dB"),
    "duration_ms": SliderWords("Length", "short", "long"),
}


def slider_words(feature: str) -> SliderWords:
    return SLIDER_WORDS.get(feature, SliderWords(feature.replace("_", " ").capitalize(), "low", "high"))


# --- what a version changed --------------------------------------------------------------


@dataclass(frozen=True)
class VersionDiff:
    added: list[str]
    removed: list[str]
    moved: list[str]

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.removed or self.moved)

    def summary(self) -> str:
        if self.nothing_changed:
            return "Nothing changed: the same tracks in the same order."
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} added")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.moved:
            parts.append(f"{len(self.moved)} moved")
        return ", ".join(parts).capitalize() + "."


def version_diff(previous: Sequence[tuple[int, str]], current: Sequence[tuple[int, str]]) -> VersionDiff:
    """What ``current`` changed against ``previous`` (each (track id, title) in playlist order).

    "Moved": the fewest kept tracks that, taken out and put back, give the new order (the kept
    tracks off one longest run that stayed in order).
    """
    before_ids = [track_id for track_id, _ in previous]
    after_ids = [track_id for track_id, _ in current]
    before, after = set(before_ids), set(after_ids)
    added = [title for track_id, title in current if track_id not in before]
    removed = [title for track_id, title in previous if track_id not in after]
    kept_before = [track_id for track_id in before_ids if track_id in after]
    kept_after = [track_id for track_id in after_ids if track_id in before]
    rank_before = {track_id: index for index, track_id in enumerate(kept_before)}
    in_order = _longest_increasing([rank_before[track_id] for track_id in kept_after])
    titles = dict(current)
    moved = [titles[track_id] for index, track_id in enumerate(kept_after) if index not in in_order]
    return VersionDiff(added=added, removed=removed, moved=moved)


def _longest_increasing(ranks: Sequence[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of ``ranks`` (O(n²), n ≤ a playlist)."""
    if not ranks:
        return set()
    length = [1] * len(ranks)
    before = [-1] * len(ranks)
    for index, rank in enumerate(ranks):
        for earlier in range(index):
            if ranks[earlier] < rank and length[earlier] + 1 > length[index]:
                length[index], before[index] = length[earlier] + 1, earlier
    index = max(range(len(ranks)), key=lambda at: (length[at], -at))
    chosen = set()
    while index != -1:
        chosen.add(index)
        index = before[index]
    return chosen


# --- a generated title and cover -----------------------------------------------------------

TITLE_NOUNS = ("Mix", "Hours", "Session", "Selection", "Set")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "with",
        "without",
        "no",
        "not",
        "but",
        "or",
        "by",
        "my",
        "me",
        "i",
        "some",
        "songs",
        "song",
        "music",
    ]
)
MOOD_HUES = {
    "calm": 200,
    "chill": 190,
    "relaxing": 195,
    "mellow": 185,
    "peaceful": 170,
    "sleep": 230,
    "happy": 45,
    "upbeat": 30,
    "energetic": 10,
    "party": 330,
    "romantic": 345,
    "sad": 225,
    "melancholic": 240,
    "dark": 265,
    "angry": 0,
    "focus": 150,
    "study": 155,
    "workout": 15,
    "rainy day": 210,
    "dreamy": 280,
    "nostalgic": 35,
}


def _stable_number(text: str) -> int:
    """The same number for the same text in every process (``hash()`` is salted per process)."""
    return sum((index + 1) * ord(char) for index, char in enumerate(text))


def _title_case(words: str) -> str:
    return " ".join(word if word.isupper() else word[:1].upper() + word[1:] for word in words.split())


def generated_title(*, prompt: str, intent: Mapping) -> str:
    """A short title made from what the prompt was understood as ("Calm Jazz Hours",
    "’90s Hip Hop for the Drive"); from the prompt's own words when nothing was understood."""
    moods = [str(mood) for mood in intent.get("moods") or []]
    tags = [str(tag.get("name", "")) for tag in intent.get("include_tags") or [] if isinstance(tag, Mapping)]
    genre = next((tag for tag in tags if tag and tag not in moods), "")
    core = " ".join(part for part in (moods[0] if moods else "", genre) if part)
    era = intent.get("era")
    decade = ""
    if era and len(era) == 2 and era[0] and era[1] and int(era[1]) - int(era[0]) <= 10:
        decade = f"’{int(era[0]) % 100 // 10 * 10:02d}s"
    activity = str(intent.get("activity") or "")
    noun = TITLE_NOUNS[_stable_number(prompt) % len(TITLE_NOUNS)]
    if not core:
        words = [word for word in prompt.replace(",", " ").split() if word.lower() not in _SMALL_WORDS][:3]
        core = " ".join(words) if words else "Segue"
    if activity.lower() in core.lower():
        activity = ""
    return _title_case(" ".join(part for part in (decade, core, activity, noun) if part))


def cover_pattern_svg(*, seed_text: str, moods: Sequence[str], energy: float | None) -> str:
    """A cover drawn from the playlist's moods (hue) and energy (how busy it is): an SVG made of
    numbers only, safe to inline."""
    hue = next((MOOD_HUES[mood] for mood in moods if mood in MOOD_HUES), _stable_number(seed_text) % 360)
    second = (hue + 40 + _stable_number(seed_text[::-1]) % 60) % 360
    level = 0.5 if energy is None else min(1.0, max(0.0, energy))
    rings = 3 + round(level * 6)
    offset = _stable_number(seed_text) % 40
    shapes = [
        f'<rect width="120" height="120" fill="hsl({hue} 55% 42%)"/>',
        f'<rect width="120" height="120" fill="hsl({second} 60% 55%)" opacity="0.55" '
        f'transform="rotate({offset} 60 60) translate(0 60)"/>',
    ]
    for ring in range(rings):
        radius = 8 + ring * (52 / rings)
        shapes.append(
            f'<circle cx="{30 + offset}" cy="{90 - offset // 2}" r="{radius:.1f}" fill="none" '
            f'stroke="hsl({second} 80% 85%)" stroke-opacity="{0.65 - ring * 0.05:.2f}" stroke-width="2"/>'
        )
    return (
        '<svg class="cover-pattern" viewBox="0 0 120 120" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" aria-label="Cover">{"".join(shapes)}</svg>'
    )
