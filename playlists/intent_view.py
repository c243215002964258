"""The compiled Intent as chips and sliders on the playlist page, and the listener's edits back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IntentPanel:
    chips: list[Any] = field(default_factory=list)
    sliders: list[Any] = field(default_factory=list)


def intent_panel(intent: Mapping[str, Any]) -> IntentPanel:
    return IntentPanel()


def intent_edit_apply(intent: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    return dict(intent), ""
