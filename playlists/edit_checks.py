"""The shape of an edited Intent, checked before anything is stored.

An edited intent arrives as JSON from the API or is rebuilt from a form. The Intent dataclass
takes whatever it is given, so a wrong type (``semantic_text: 12345``, ``seed_artists: [1, null]``)
would only fail later, in the generation; a NUL character or a non-finite number would fail in
PostgreSQL's JSONB. Each problem is reported here, with the field's name, as a ValueError.
No Django import: pure checks on plain data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from playlists.engine.intent import MAX_SIZE as SIZE_MAX
from playlists.engine.intent import MIN_SIZE as SIZE_MIN

TEXT_MAX_LENGTH = 2000
LIST_MAX_ITEMS = 200
# The longest playlist a duration may ask for: SIZE_MAX tracks of ten minutes.
DURATION_MAX_SECONDS = SIZE_MAX * 600
ERA_RANGE = (1000, 3000)

STRING_LIST_FIELDS = (
    "exclude_tags",
    "avoid_tags",
    "exclude_artists",
    "seed_artists",
    "moods",
    "relaxed",
    "warnings",
)
OPTIONAL_TEXT_FIELDS = ("familiarity", "activity")


def _text(value: Any, where: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text.")
    if "\x00" in value:
        raise ValueError(f"{where} must not contain NUL characters.")
    if len(value) > TEXT_MAX_LENGTH:
        raise ValueError(f"{where} is longer than {TEXT_MAX_LENGTH} characters.")


def _number(value: Any, where: str, *, low: float | None = None, high: float | None = None) -> None:
    # bool is an int in Python; JSON true is not a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where} must be a number.")
    if not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{where} must be between {low:g} and {high:g}.")


def _integer(value: Any, where: str, *, low: int, high: int, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be a whole number.")
    if not low <= value <= high:
        raise ValueError(f"{where} must be between {low} and {high}.")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list.")
    if len(value) > LIST_MAX_ITEMS:
        raise ValueError(f"{where} has more than {LIST_MAX_ITEMS} entries.")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object.")
    return value


def intent_edit_check(intent: Any) -> None:
    """Raise ValueError naming the first field of ``intent`` that is not what an Intent holds.

    Only the fields present are checked (an absent one takes the Intent's default); unknown
    keys are ignored, as Intent.from_dict ignores them.
    """
    data = _object(intent, "The intent")
    if "semantic_text" in data:
        _text(data["semantic_text"], "semantic_text")
    for name in STRING_LIST_FIELDS:
        if name in data:
            for index, item in enumerate(_list(data[name], name)):
                _text(item, f"{name}[{index}]")
    for name in OPTIONAL_TEXT_FIELDS:
        if name in data:
            _text(data[name], name, optional=True)
    if "include_tags" in data:
        for index, tag in enumerate(_list(data["include_tags"], "include_tags")):
            where = f"include_tags[{index}]"
            tag = _object(tag, where)
            _text(tag.get("name"), f"{where}.name")
            _number(tag.get("confidence"), f"{where}.confidence", low=0.0, high=1.0)
            if "source" in tag:
                _text(tag["source"], f"{where}.source")
    if "feature_ranges" in data:
        for feature, spec in _object(data["feature_ranges"], "feature_ranges").items():
            where = f"feature_ranges.{feature}"
            _text(feature, "a feature_ranges name")
            spec = _object(spec, where)
            _number(spec.get("low"), f"{where}.low")
            _number(spec.get("high"), f"{where}.high")
            if "confidence" in spec:
                _number(spec["confidence"], f"{where}.confidence", low=0.0, high=1.0)
            if "hard" in spec and not isinstance(spec["hard"], bool):
                raise ValueError(f"{where}.hard must be true or false.")
            if "source" in spec:
                _text(spec["source"], f"{where}.source")
    if data.get("era") is not None:
        era = _list(data["era"], "era")
        if len(era) != 2:
            raise ValueError("era must be two years, [from, to].")
        for index, year in enumerate(era):
            _integer(year, f"era[{index}]", low=ERA_RANGE[0], high=ERA_RANGE[1], optional=False)
    if "size" in data:
        _integer(data["size"], "size", low=SIZE_MIN, high=SIZE_MAX)
    if "duration_seconds" in data:
        _integer(data["duration_seconds"], "duration_seconds", low=1, high=DURATION_MAX_SECONDS)
    if "clean" in data and not isinstance(data["clean"], bool):
        raise ValueError("clean must be true or false.")
    arc = data.get("energy_arc")
    if isinstance(arc, list):
        for index, point in enumerate(_list(arc, "energy_arc")):
            _number(point, f"energy_arc[{index}]")
    elif arc is not None:
        _text(arc, "energy_arc")
