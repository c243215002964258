"""``{{ value|measure:3 }}``: a measure rounded like ``floatformat``, or a dash when there is
nothing to measure yet (None, NaN: no playlists, no outcomes). A page never shows "nan"."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

NOTHING_YET = "—"


@register.filter
def measure(value: Any, digits: int = 3) -> str:
    if value is None:
        return NOTHING_YET
    try:
        number = float(value)
    except (TypeError, ValueError):
        return NOTHING_YET
    if not math.isfinite(number):
        return NOTHING_YET
    return floatformat(number, digits)
