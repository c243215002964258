"""The desk's pure modules on plain numbers: exposure, queue signals, theme matching, charts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from editorial.charts import bar_chart, line_chart
from editorial.exposure import (
    ExposureCount,
    exposure_summary,
    gini,
    is_long_tail,
    long_tail_share,
    most_exposed,
)
from editorial.matching import best_theme
from editorial.review_triggers import intent_confidence, prompt_key, rising_prompts


def test_gini_is_zero_for_equal_exposure_and_undefined_for_nothing() -> None:
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([7]) == pytest.approx(0.0)
    assert math.isnan(gini([])) and math.isnan(gini([0, 0]))


def test_gini_grows_as_one_artist_takes_everything() -> None:
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([1, 1, 1, 9]) > gini([2, 3, 3, 4])


def test_gini_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        gini([3, -1])


def test_a_long_tail_track_is_below_popularity_30_or_of_unknown_popularity() -> None:
    assert [is_long_tail(p) for p in (0, 29, 30, 90, None, math.nan)] == [
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    assert long_tail_share(4, 10) == pytest.approx(0.4)
    assert math.isnan(long_tail_share(0, 0))


def test_exposure_summary_adds_up_an_artists_rows_and_counts_artistless_placements() -> None:
    summary = exposure_summary(
        [
            ExposureCount(1, 6, 0),
            ExposureCount(2, 2, 2),
            ExposureCount(1, 6, 0),  # artist 1 again, another day
            ExposureCount(None, 2, 2),  # tracks without a credited artist
        ]
    )
    assert (summary.placements, summary.artists, summary.per_artist) == (16, 2, {1: 12, 2: 2})
    assert summary.gini == pytest.approx(gini([12, 2]))
    assert summary.long_tail_share == pytest.approx(4 / 16)
    assert math.isnan(exposure_summary([]).gini)


def test_most_exposed_ranks_by_count_then_id() -> None:
    ranked = most_exposed({7: 2, 3: 5, 9: 5, 1: 1}, limit=3)
    assert [(row.artist_id, row.count) for row in ranked] == [(3, 5), (9, 5), (7, 2)]
    assert ranked[0].share == pytest.approx(5 / 13)


def test_intent_confidence_is_the_mean_of_parsed_pieces() -> None:
    intent = {
        "include_tags": [{"name": "jazz", "confidence": 0.9}],
        "feature_ranges": {"energy": {"low": 0, "high": 0.4, "confidence": 0.3}},
    }
    assert intent_confidence(intent) == pytest.approx(0.6)


def test_a_prompt_understood_as_nothing_has_zero_confidence_unless_it_has_hard_parts() -> None:
    assert intent_confidence({"semantic_text": "blorp"}) == 0.0
    assert intent_confidence({"exclude_tags": ["rock"]}) == 1.0


def test_prompt_key_folds_case_and_spaces() -> None:
    assert prompt_key("  Calm   JAZZ ") == "calm jazz"


def test_rising_prompts_compare_rates_over_windows_of_different_length() -> None:
    recent = {"summer run": 12, "calm jazz": 10, "rare thing": 2}
    earlier = {"calm jazz": 70, "summer run": 7}  # a window 7 times longer
    risers = rising_prompts(recent, earlier, window_ratio=7.0, min_count=5, min_growth=3.0)
    assert [rising.prompt for rising in risers] == ["summer run"]
    assert risers[0].ratio == pytest.approx(12.0)


def test_best_theme_picks_the_closest_text_above_the_threshold() -> None:
    prompt = np.array([1.0, 0.0, 0.0])
    themes = {
        1: np.array([[0.0, 1.0, 0.0], [0.8, 0.6, 0.0]]),
        2: np.array([[0.6, 0.8, 0.0]]),
        3: np.zeros((0, 3)),
    }
    match = best_theme(prompt, themes, threshold=0.5)
    assert match is not None and match.theme_id == 1 and match.similarity == pytest.approx(0.8)
    assert best_theme(prompt, themes, threshold=0.9) is None


def test_bar_chart_scales_to_the_largest_value() -> None:
    chart = bar_chart([("a", 10, "10"), ("b", 5, "5"), ("c", 0, "0")])
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert chart.bars[1].y > chart.bars[0].y
    assert bar_chart([]).bars == []


def test_line_chart_puts_zero_at_the_bottom_and_the_top_value_at_the_top() -> None:
    chart = line_chart(["mon", "tue"], {"reports": [0.0, 4.0]})
    (left, bottom), (right, top) = chart.series[0].dots
    assert (left, right) == (chart.plot_left, chart.plot_right)
    assert (bottom, top) == (chart.plot_bottom, chart.plot_top)
    assert chart.series[0].points == f"{left},{bottom} {right},{top}"
    assert chart.series[0].last_value == 4.0
    assert [label for _, label in chart.x_labels] == ["mon", "tue"]
    assert chart.y_ticks[0] == (chart.plot_bottom, "0") and chart.y_ticks[-1] == (chart.plot_top, "4")


def test_line_chart_leaves_gaps_for_missing_values() -> None:
    chart = line_chart(
        ["d1", "d2", "d3"], {"A": [0.1, None, 0.3], "B": [float("nan")] * 3}, guides={"floor": 0.2}
    )
    assert len(chart.series[0].dots) == 2 and chart.series[1].dots == []
    assert chart.series[0].last_value == 0.3 and chart.series[1].last_value is None
    assert not chart.is_empty and len(chart.guides) == 1
    assert line_chart([], {"A": []}).is_empty


def test_line_chart_series_take_the_shared_colour_classes_in_turn() -> None:
    chart = line_chart(["d1"], {f"s{n}": [float(n)] for n in range(7)}, y_range=(0.0, 10.0))
    assert [series.css_class for series in chart.series][:2] == ["series-0", "series-1"]
    assert chart.series[6].css_class == "series-0"
