"""Server-rendered SVG charts for the desk and the ops panel: geometry only (no Django).

The CSP allows no inline script, so pages draw with SVG shapes computed here:
bar charts with ``templates/editorial/_bar_chart.html``, line charts with
``templates/editorial/_line_chart.html``. Series colours come from the ``series-N`` classes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CHART_WIDTH = 640

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 260

LINE_HEIGHT = 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 12, 28
SERIES_CLASSES = 6  # series-0 … series-5 in static/css/segue.css, then they repeat
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    width: int = CHART_WIDTH

    @property
    def text_y_offset(self) -> int:
        return BAR_HEIGHT // 2 + 5

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT


def bar_chart(rows: Sequence[tuple[str, float, str]]) -> BarChart:
    """Horizontal bars, scaled to the largest value; rows are (label, value, value text)."""
    top = max((value for _, value, _ in rows), default=0.0)
    room = CHART_WIDTH - LABEL_WIDTH - 70
    bars = [
        Bar(
            label=label,
            value=value,
            value_text=text,
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=round(room * value / top, 1) if top > 0 else 0.0,
        )
        for index, (label, value, text) in enumerate(rows)
    ]
    return BarChart(bars=bars, height=max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT))


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    points: str  # "x,y x,y ..." for <polyline points=…>
    dots: list[tuple[float, float]]
    last_value: float | None  # the latest value drawn (None: nothing drawn)


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    y_ticks: list[tuple[float, str]]  # (y pixel, label)
    x_labels: list[tuple[float, str]]  # (x pixel, label)
    guides: list[tuple[float, str]] = field(default_factory=list)  # horizontal reference lines
    width: int = CHART_WIDTH
    height: int = LINE_HEIGHT
    plot_left: int = MARGIN_LEFT
    plot_right: int = CHART_WIDTH - MARGIN_RIGHT
    plot_top: int = MARGIN_TOP
    plot_bottom: int = LINE_HEIGHT - MARGIN_BOTTOM

    @property
    def is_empty(self) -> bool:
        return not any(series.dots for series in self.series)


def line_chart(
    labels: Sequence[str],
    values: Mapping[str, Sequence[float | None]],
    *,
    y_range: tuple[float, float] | None = None,
    guides: Mapping[str, float] | None = None,
) -> LineChart:
    """One line per entry of ``values`` over the x ``labels`` (None and NaN leave gaps).

    The y axis runs from ``y_range`` when given, else from zero (or the lowest value, when
    below zero) to the highest value or guide.
    """
    finite = [v for series in values.values() for v in series if v is not None and not math.isnan(v)]
    finite += list((guides or {}).values())
    low, high = y_range if y_range else (min([0.0, *finite]), max(finite, default=1.0))
    if high <= low:
        high = low + 1.0
    plot_width = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = LINE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x_of(index: int) -> float:
        return MARGIN_LEFT + (plot_width * index / (len(labels) - 1) if len(labels) > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return MARGIN_TOP + plot_height * (1 - (value - low) / (high - low))

    series = []
    for number, (name, points) in enumerate(values.items()):
        drawn = [(i, v) for i, v in enumerate(points) if v is not None and not math.isnan(v)]
        dots = [(round(x_of(i), 1), round(y_of(v), 1)) for i, v in drawn]
        series.append(
            Series(
                name=name,
                css_class=f"series-{number % SERIES_CLASSES}",
                points=" ".join(f"{x},{y}" for x, y in dots),
                dots=dots,
                last_value=drawn[-1][1] if drawn else None,
            )
        )
    ticks = [
        (round(y_of(low + (high - low) * step / 4), 1), f"{low + (high - low) * step / 4:.3g}")
        for step in range(5)
    ]
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    x_labels = [(round(x_of(i), 1), label) for i, label in enumerate(labels) if i % every == 0]
    guide_lines = [(round(y_of(value), 1), name) for name, value in (guides or {}).items()]
    return LineChart(series=series, y_ticks=ticks, x_labels=x_labels, guides=guide_lines)
