"""Reading words as tags and lexicon entries: exact spellings first, ranges combined by weight."""

from __future__ import annotations

import pytest

from playlists.engine.intent import FeatureRange, Intent
from playlists.engine.lexicon import LEXICON
from playlists.engine.matching import apply_lexicon, exact_matches, word_spans
from playlists.engine.parse import parse_prompt
from tests.playlists.fakes import fake_vocabulary


@pytest.fixture(scope="module")
def vocabulary():  # type: ignore[no-untyped-def]
    return fake_vocabulary(
        tags={"rock": 100, "hard rock": 30, "rap": 80, "electropop": 20, "new jack swing": 10, "pop": 90},
        pairs={("hard rock", "rock"): 30},
    )


def _entry(label: str):  # type: ignore[no-untyped-def]
    return next(entry for entry in LEXICON if entry.label == label)


def test_a_phrase_longer_than_three_words_is_read_when_written_exactly(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse_prompt("new jack swing from back in the day", vocabulary=vocabulary)
    assert "new jack swing" in intent.include_tag_names()
    assert "throwback" in intent.moods
    assert intent.activity is None  # "day" alone is not "start the day"


def test_a_genre_written_with_a_space_or_hyphen_is_that_genre(vocabulary) -> None:  # type: ignore[no-untyped-def]
    for prompt in ("high-energy electro pop", "electro-pop for the evening"):
        assert "electropop" in parse_prompt(prompt, vocabulary=vocabulary).include_tag_names()


def test_exact_matches_name_the_tag_and_the_entry(vocabulary) -> None:  # type: ignore[no-untyped-def]
    words = ["popular", "hard", "rock"]
    found = {(match.text, match.kind) for match in exact_matches(words, vocabulary)}
    assert {("popular", "lexicon"), ("hard rock", "tag"), ("rock", "tag")} <= found
    assert all(match.exact and match.score == 1.0 for match in exact_matches(words, vocabulary))


def test_a_popular_genre_keeps_both_meanings(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse_prompt("popular hard rock songs", vocabulary=vocabulary)
    assert "hard rock" in intent.include_tag_names()
    assert "hits" in intent.moods
    assert intent.feature_ranges["popularity"].low >= 50


def test_no_rapping_leaves_out_rap(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse_prompt("danceable music with no rapping", vocabulary=vocabulary)
    assert "rap" in intent.exclude_tags


def test_a_word_naming_a_scale_alone_is_no_span() -> None:
    spans = [text for _, _, text in word_spans(["sad", "songs", "at", "a", "slow", "pace"])]
    assert "pace" not in spans
    assert "slow pace" in spans


def test_a_much_weaker_range_does_not_narrow_a_mood() -> None:
    intent = Intent()
    apply_lexicon(intent, _entry("mellow"), 1.0, "mellow")
    mellow = (intent.feature_ranges["energy"].low, intent.feature_ranges["energy"].high)
    apply_lexicon(intent, _entry("morning"), 1.0, "afternoon")  # its energy range weighs 0.5
    assert (intent.feature_ranges["energy"].low, intent.feature_ranges["energy"].high) == mellow


def test_a_much_stronger_range_replaces_a_weak_one() -> None:
    intent = Intent(feature_ranges={"energy": FeatureRange(0.4, 0.8, confidence=0.3, source="morning")})
    apply_lexicon(intent, _entry("mellow"), 1.0, "mellow")
    energy = intent.feature_ranges["energy"]
    assert (energy.low, energy.high, energy.source) == (*_entry("mellow").ranges["energy"], "mellow")


def test_comparable_ranges_keep_their_overlap() -> None:
    intent = Intent(feature_ranges={"energy": FeatureRange(0.3, 0.9, confidence=1.0, source="a")})
    apply_lexicon(intent, _entry("mellow"), 1.0, "mellow")
    low, high = _entry("mellow").ranges["energy"]
    assert (intent.feature_ranges["energy"].low, intent.feature_ranges["energy"].high) == (
        max(0.3, low),
        min(0.9, high),
    )


def test_a_genre_written_in_another_word_order_is_not_split_by_its_own_words() -> None:
    vocabulary = fake_vocabulary(tags={"dance pop": 40, "pop": 90}, pairs={("dance pop", "pop"): 40})
    intent = parse_prompt("pop dance hits", vocabulary=vocabulary)
    assert "dance pop" in intent.include_tag_names()
    assert "hits" in intent.moods


@pytest.mark.parametrize("prompt", ["music for winding down", "something to cool down to", "lazy afternoon"])
def test_a_wind_down_said_as_a_purpose_is_a_mood_not_an_arc(vocabulary, prompt: str) -> None:  # type: ignore[no-untyped-def]
    intent = parse_prompt(prompt, vocabulary=vocabulary)
    assert intent.energy_arc is None
    assert "chill" in intent.moods
    assert intent.activity is None  # "afternoon" is not "morning"


def test_a_wind_down_along_the_way_is_still_an_arc(vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert parse_prompt("a run that winds down at the end", vocabulary=vocabulary).energy_arc == "ramp_down"


@pytest.mark.parametrize(
    "prompt", ["chill songs after a long day", "calm music after a run", "rock for a long drive"]
)
def test_words_that_set_the_scene_ask_for_nothing(vocabulary, prompt: str) -> None:  # type: ignore[no-untyped-def]
    intent = parse_prompt(prompt, vocabulary=vocabulary)
    assert "duration_ms" not in intent.feature_ranges  # a long day, not long songs
    assert "long" not in intent.moods
    assert intent.activity in (None, "drive")  # the run is over: nothing to pace
    assert not intent.not_understood
