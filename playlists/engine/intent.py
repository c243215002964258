"""What a prompt compiles to: the Intent, what the parser matches against, and the limits on a
prompt and a size (no Django imports).

The parser is ``playlists.engine.parse.parse_prompt`` and a follow-up is applied by
``playlists.engine.refine.refine_intent``. Every extracted piece carries a confidence; the Intent
is JSON-safe so the listener can edit it and regenerate from the edited copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from playlists.engine.lexicon import LexiconEntry

if TYPE_CHECKING:
    from playlists.engine.matching import ExactSpellings

MAX_PROMPT_CHARS = 2000
MIN_SIZE, MAX_SIZE = 1, 200
DEFAULT_SIZE = 30
# Seconds an average track lasts, to turn "an hour" into a number of tracks.
AVERAGE_TRACK_SECONDS = 215


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
    clean: bool = False  # no explicit tracks ("no explicit lyrics", "family friendly"): hard
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
        if not isinstance(values.get("clean", False), bool):
            raise ValueError("clean must be true or false")
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

    @property
    def exact_spellings(self) -> ExactSpellings: ...  # tags and phrases as written

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def find_artist(self, text: str) -> str | None: ...


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
