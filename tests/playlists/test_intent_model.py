"""Unseen phrasings land on the right entry through the real text model."""

from __future__ import annotations

import pytest

from catalog.embeddings import encode_documents
from playlists.engine.intent import Intent
from playlists.engine.parse import parse_prompt
from playlists.engine.vocabulary import CatalogVocabulary, vocabulary_build

pytestmark = pytest.mark.model

TAGS = {
    "rock": 50,
    "hard rock": 20,
    "r&b": 40,
    "neo soul": 15,
    "reggaeton": 30,
    "latin": 60,
    "rap": 45,
    "hip hop": 20,
}
PAIRS = {
    ("hard rock", "rock"): 20,
    ("neo soul", "r&b"): 15,
    ("latin", "reggaeton"): 30,
    ("hip hop", "rap"): 20,
}


@pytest.fixture(scope="module")
def vocabulary() -> CatalogVocabulary:
    return vocabulary_build(
        tag_counts=TAGS, pair_counts=PAIRS, encoder=encode_documents, artist_lookup=lambda text: None
    )


def parse(text: str, vocabulary: CatalogVocabulary) -> Intent:
    return parse_prompt(text, vocabulary=vocabulary)


@pytest.mark.parametrize("prompt", ["laid back evening", "chilled-out sunday", "something soothing"])
def test_relaxed_phrasings_mean_low_energy(vocabulary: CatalogVocabulary, prompt: str) -> None:
    energy = parse(prompt, vocabulary).feature_ranges["energy"]
    assert energy.high <= 0.55 and not energy.hard
    assert 0 < energy.confidence <= 1


def test_feel_good_means_happy(vocabulary: CatalogVocabulary) -> None:
    assert parse("feel-good tunes", vocabulary).feature_ranges["valence"].low >= 0.6


def test_pumped_up_gym_is_a_workout(vocabulary: CatalogVocabulary) -> None:
    intent = parse("pumped up gym session", vocabulary)
    assert intent.activity == "workout"
    assert intent.feature_ranges["energy"].low >= 0.75


def test_quiet_storm_is_slow_r_and_b(vocabulary: CatalogVocabulary) -> None:
    intent = parse("quiet storm", vocabulary)
    assert {"r&b", "neo soul"} <= set(intent.include_tag_names())
    assert intent.feature_ranges["energy"].high <= 0.5


def test_perreo_is_reggaeton(vocabulary: CatalogVocabulary) -> None:
    assert "reggaeton" in parse("perreo toda la noche", vocabulary).include_tag_names()


def test_genre_spelling_variants(vocabulary: CatalogVocabulary) -> None:
    assert "hip hop" in parse("Hip-Hop classics", vocabulary).include_tag_names()
    assert "r&b" in parse("RnB slow jams", vocabulary).include_tag_names()


def test_a_subgenre_exclusion_keeps_the_genre(vocabulary: CatalogVocabulary) -> None:
    intent = parse("rock but no hard rock", vocabulary)
    assert intent.exclude_tags == ["hard rock"]
    assert "rock" in intent.include_tag_names()
