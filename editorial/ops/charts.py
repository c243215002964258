"""Geometry for small server-rendered SVG line charts (no Django, no script: CSP-safe)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 12, 28
COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


@dataclass
class Series:
    name: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline points=…>
    dots: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, str]]  # (y pixel, label)
    x_labels: list[tuple[float, str]]  # (x pixel, label)
    plot_left: int = MARGIN_LEFT
    plot_right: int = WIDTH - MARGIN_RIGHT
    plot_bottom: int = HEIGHT - MARGIN_BOTTOM
    guides: list[tuple[float, str]] = field(default_factory=list)  # horizontal reference lines

    @property
    def is_empty(self) -> bool:
        return not any(series.dots for series in self.series)


def line_chart(
    labels: Sequence[str],
    values: Mapping[str, Sequence[float | None]],
    *,
    y_range: tuple[float, float] | None = None,
    guides: Mapping[str, float] | None = None,
) -> Chart:
    """One line per entry of ``values`` over the x ``labels`` (None and NaN leave gaps)."""
    finite = [v for series in values.values() for v in series if v is not None and not math.isnan(v)]
    finite += list((guides or {}).values())
    low, high = y_range if y_range else (min(finite, default=0.0), max(finite, default=1.0))
    if high <= low:
        high = low + 1.0
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x_of(index: int) -> float:
        return MARGIN_LEFT + (plot_width * index / (len(labels) - 1) if len(labels) > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return MARGIN_TOP + plot_height * (1 - (value - low) / (high - low))

    series = []
    for number, (name, points) in enumerate(values.items()):
        dots = [
            (round(x_of(i), 1), round(y_of(v), 1))
            for i, v in enumerate(points)
            if v is not None and not math.isnan(v)
        ]
        series.append(
            Series(name, COLOURS[number % len(COLOURS)], " ".join(f"{x},{y}" for x, y in dots), dots)
        )
    ticks = [
        (round(y_of(low + (high - low) * step / 4), 1), f"{low + (high - low) * step / 4:.3g}")
        for step in range(5)
    ]
    every = max(1, math.ceil(len(labels) / 8))
    x_labels = [(round(x_of(i), 1), label) for i, label in enumerate(labels) if i % every == 0]
    guide_lines = [(round(y_of(value), 1), name) for name, value in (guides or {}).items()]
    return Chart(WIDTH, HEIGHT, series, ticks, x_labels, guides=guide_lines)
