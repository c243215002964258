"""The compiled Intent as chips and sliders on the playlist page, and the listener's edits back.

Works on the Intent's JSON form (``Intent.to_dict()``), as stored on a version. Each chip has a
key naming the piece it stands for; removing a chip removes that piece. A slider stands for a
feature range; moving it makes the range the listener's own (a hard constraint). Pure: no Django.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.features import AUDIO_FEATURE_RANGES
from config.errors import ApplicationError

FEATURE_LABELS = {"tempo": "Tempo (BPM)", "duration_ms": "Length"}
FAMILIARITY_LABELS = {"new_only": "only songs new to me", "favourites": "my favourites"}
ARC_LABELS = {
    "ramp_down": "eases into calm songs",
    "ramp_up": "builds up energy",
    "peak": "builds up, then winds down",
    "steady": "steady energy",
}
YOUR_SETTING = "your setting"


@dataclass(frozen=True)
class Chip:
    key: str
    label: str
    kind: str
    kind_label: str
    confidence: float | None = None


@dataclass(frozen=True)
class Slider:
    feature: str
    label: str
    low: float
    high: float
    step: float
    min_value: float
    max_value: float
    hard: bool

    @property
    def decimals(self) -> int:
        return 0 if self.feature == "tempo" else 2

    @property
    def min_text(self) -> str:
        return f"{self.min_value:.{self.decimals}f}"

    @property
    def max_text(self) -> str:
        return f"{self.max_value:.{self.decimals}f}"


@dataclass
class IntentPanel:
    chips: list[Chip] = field(default_factory=list)
    sliders: list[Slider] = field(default_factory=list)


def intent_panel(intent: Mapping[str, Any]) -> IntentPanel:
    if not intent:
        return IntentPanel()
    return IntentPanel(chips=_chips(intent), sliders=_sliders(intent))


def _chips(intent: Mapping[str, Any]) -> list[Chip]:
    chips = [
        Chip(f"include_tags:{tag['name']}", tag["name"], "include", "genre or tag", tag.get("confidence"))
        for tag in intent.get("include_tags", [])
    ]
    chips += [Chip(f"moods:{mood}", mood, "mood", "mood") for mood in intent.get("moods", [])]
    if intent.get("activity"):
        chips.append(Chip("activity", str(intent["activity"]), "activity", "activity"))
    chips += [
        Chip(f"seed_artists:{name}", f"like {name}", "seed", "seed artist")
        for name in intent.get("seed_artists", [])
    ]
    chips += [
        Chip(f"exclude_tags:{name}", f"no {name}", "exclude", "left out")
        for name in intent.get("exclude_tags", [])
    ]
    chips += [
        Chip(f"avoid_tags:{name}", f"less {name}", "avoid", "ranked down")
        for name in intent.get("avoid_tags", [])
    ]
    chips += [
        Chip(f"exclude_artists:{name}", f"not {name}", "exclude", "left out")
        for name in intent.get("exclude_artists", [])
    ]
    if intent.get("clean"):
        chips.append(Chip("clean", "no explicit tracks", "exclude", "left out"))
    era = intent.get("era")
    if era:
        chips.append(Chip("era", f"{era[0]}–{era[1]}", "era", "release years"))
    for feature, spec in intent.get("feature_ranges", {}).items():
        chips.append(
            Chip(
                f"feature_ranges:{feature}",
                _range_label(feature, spec),
                "range" if spec.get("hard") else "soft-range",
                "must" if spec.get("hard") else "preferred",
                spec.get("confidence"),
            )
        )
    if intent.get("familiarity"):
        chips.append(
            Chip(
                "familiarity",
                FAMILIARITY_LABELS.get(intent["familiarity"], intent["familiarity"]),
                "familiarity",
                "familiarity",
            )
        )
    arc = intent.get("energy_arc")
    if arc:
        chips.append(
            Chip(
                "energy_arc",
                ARC_LABELS.get(arc, "energy arc") if isinstance(arc, str) else "energy arc",
                "arc",
                "flow",
            )
        )
    if intent.get("size"):
        chips.append(Chip("size", f"{intent['size']} tracks", "length", "length"))
    elif intent.get("duration_seconds"):
        chips.append(
            Chip("duration_seconds", f"{round(intent['duration_seconds'] / 60)} minutes", "length", "length")
        )
    return chips


def _range_label(feature: str, spec: Mapping[str, Any]) -> str:
    low, high = float(spec["low"]), float(spec["high"])
    if feature == "duration_ms":
        return f"length {_minutes(low)}–{_minutes(high)}"
    if feature == "tempo":
        return f"{low:.0f}–{high:.0f} BPM"
    return f"{feature} {low:.2f}–{high:.2f}"


def _minutes(milliseconds: float) -> str:
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _sliders(intent: Mapping[str, Any]) -> list[Slider]:
    sliders = []
    for feature, spec in intent.get("feature_ranges", {}).items():
        if feature not in AUDIO_FEATURE_RANGES:
            continue
        low, high = AUDIO_FEATURE_RANGES[feature]
        sliders.append(
            Slider(
                feature=feature,
                label=FEATURE_LABELS.get(feature, feature.capitalize()),
                low=low,
                high=high,
                step=1 if feature == "tempo" else 0.01,
                min_value=max(low, float(spec["low"])),
                max_value=min(high, float(spec["high"])),
                hard=bool(spec.get("hard")),
            )
        )
    return sliders


# --- edits ---------------------------------------------------------------------------------


class IntentEditError(ApplicationError):
    """An edit that cannot be applied; the message tells the listener what to do."""


def intent_edit_apply(intent: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The Intent with the listener's edit applied, and a one-line summary of the edit.

    ``data`` is the posted form: ``remove=<chip key>``, or ``min_<feature>``/``max_<feature>``.
    """
    edited = copy.deepcopy(dict(intent))
    if not edited:
        raise IntentEditError("This playlist has no compiled settings to edit yet.")
    if data.get("remove"):
        return edited, _remove(edited, str(data["remove"]))
    return edited, _move_sliders(edited, data)


def _remove(intent: dict[str, Any], key: str) -> str:
    label = next((chip.label for chip in _chips(intent) if chip.key == key), None)
    if label is None:
        raise IntentEditError("That setting is no longer part of this playlist; reload the page.")
    field_name, _, value = key.partition(":")
    _REMOVERS.get(field_name, _clear_field)(intent, field_name, value)
    return f"Removed “{label}”"


def _clear_field(intent: dict[str, Any], field_name: str, value: str) -> None:
    intent[field_name] = None


def _unset_flag(intent: dict[str, Any], field_name: str, value: str) -> None:
    intent[field_name] = False


def _remove_from_list(intent: dict[str, Any], field_name: str, value: str) -> None:
    intent[field_name] = [item for item in intent.get(field_name, []) if item != value]


def _remove_tag(intent: dict[str, Any], field_name: str, value: str) -> None:
    intent[field_name] = [tag for tag in intent.get(field_name, []) if tag.get("name") != value]


def _remove_range(intent: dict[str, Any], field_name: str, value: str) -> None:
    intent[field_name] = {
        feature: spec for feature, spec in intent.get(field_name, {}).items() if feature != value
    }


_REMOVERS: dict[str, Callable[[dict[str, Any], str, str], None]] = {
    "include_tags": _remove_tag,
    "moods": _remove_from_list,
    "seed_artists": _remove_from_list,
    "exclude_tags": _remove_from_list,
    "avoid_tags": _remove_from_list,
    "exclude_artists": _remove_from_list,
    "feature_ranges": _remove_range,
    "clean": _unset_flag,
}


def _move_sliders(intent: dict[str, Any], data: Mapping[str, Any]) -> str:
    moved = []
    for feature, spec in intent.get("feature_ranges", {}).items():
        if feature not in AUDIO_FEATURE_RANGES or f"min_{feature}" not in data:
            continue
        limit_low, limit_high = AUDIO_FEATURE_RANGES[feature]
        low = _number(data.get(f"min_{feature}"), feature)
        high = _number(data.get(f"max_{feature}"), feature)
        low, high = sorted((max(limit_low, min(limit_high, low)), max(limit_low, min(limit_high, high))))
        if abs(low - float(spec["low"])) < 1e-9 and abs(high - float(spec["high"])) < 1e-9:
            continue
        spec.update(low=low, high=high, hard=True, confidence=1.0, source=YOUR_SETTING)
        moved.append(_range_label(feature, spec))
    if not moved:
        raise IntentEditError("Nothing changed: move a slider or remove a chip first.")
    return "Set " + ", ".join(moved)


def _number(value: Any, feature: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise IntentEditError(f"“{value}” is not a number for {feature}.") from error
