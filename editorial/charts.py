"""Server-rendered SVG charts: geometry only (no Django), drawn by templates/editorial/_*.svg.

The CSP allows no inline script, so the dashboards draw with SVG shapes computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 260
CHART_WIDTH = 640


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
    points: str  # "x,y x,y ..." for an SVG polyline
    css_class: str
    last_value: float
    markers: tuple[tuple[float, float], ...] = ()  # the same points, drawn as dots


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    max_value: float
    first_label: str
    last_label: str
    width: int = CHART_WIDTH
    height: int = 200


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    width: int = CHART_WIDTH,
    height: int = 200,
) -> LineChart:
    """Lines over shared x labels (oldest first), on one y scale starting at zero."""
    top = max((max(values, default=0.0) for values in series.values()), default=0.0) or 1.0
    steps = max(len(labels) - 1, 1)
    drawn = []
    for index, (name, values) in enumerate(series.items()):
        markers = tuple(
            (round(width * position / steps, 1), round(height - height * value / top, 1))
            for position, value in enumerate(values)
        )
        points = " ".join(f"{x},{y}" for x, y in markers)
        drawn.append(Series(name, points, f"series-{index}", values[-1] if values else 0.0, markers))
    return LineChart(
        series=drawn,
        max_value=top,
        first_label=labels[0] if labels else "",
        last_label=labels[-1] if labels else "",
        width=width,
        height=height,
    )
