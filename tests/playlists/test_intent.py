from __future__ import annotations

from datetime import date

import pytest

from playlists.engine.intent import (
    FeatureRange,
    Intent,
    NotUnderstoodError,
    PromptError,
    TagChoice,
    validate_size,
)
from playlists.engine.parse import parse_prompt
from playlists.engine.refine import refine_intent
from playlists.forms import PromptForm
from tests.playlists.fakes import fake_vocabulary


@pytest.fixture(scope="module")
def vocabulary():  # type: ignore[no-untyped-def]
    return fake_vocabulary()


def parse(text: str, vocabulary) -> Intent:  # type: ignore[no-untyped-def]
    return parse_prompt(text, vocabulary=vocabulary)


def test_genre_word_includes_the_tag_and_its_narrower_tags(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("rock for the weekend", vocabulary)
    assert {"rock", "hard rock", "classic rock"} <= set(intent.include_tag_names())
    assert all(0 < tag.confidence <= 1 for tag in intent.include_tags)


def test_negated_genre_is_excluded_and_its_parent_kept(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("rock but no hard rock", vocabulary)
    assert intent.exclude_tags == ["hard rock"]
    assert "rock" in intent.include_tag_names()
    assert "hard rock" not in intent.include_tag_names()
    assert "hard" not in intent.semantic_text


@pytest.mark.parametrize("prompt", ["dance music without any rap", "no rap, just pop", "pop sin rap"])
def test_negations_exclude_rap_and_its_subgenres(vocabulary, prompt: str) -> None:  # type: ignore[no-untyped-def]
    intent = parse(prompt, vocabulary)
    assert {"rap", "trap"} <= set(intent.exclude_tags)
    assert "rap" not in intent.semantic_text


def test_negated_artist_is_excluded(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("party songs without drake", vocabulary)
    assert intent.exclude_artists == ["Drake"]
    assert intent.exclude_tags == []


def test_seed_artist(vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert parse("songs like Radiohead", vocabulary).seed_artists == ["Radiohead"]


@pytest.mark.parametrize(
    ("prompt", "low", "high"),
    [
        ("fast songs over 150 bpm", 150, 300),
        ("under 100 bpm please", 0, 100),
        ("140 bpm", 134, 146),
        ("between 100 and 120 bpm", 100, 120),
        # The scale named before the number.
        ("songs with a bpm above 150", 150, 300),
        ("a tempo of at least 140", 140, 300),
        ("bpm between 120 and 130", 120, 130),
        ("tracks with a bpm of 150 or more", 150, 300),
        ("bpm no more than 100", 0, 100),
        ("a bpm of 128", 122, 134),
    ],
)
def test_tempo_numbers_are_hard_ranges(vocabulary, prompt: str, low: float, high: float) -> None:  # type: ignore[no-untyped-def]
    spec = parse(prompt, vocabulary).feature_ranges["tempo"]
    assert (spec.low, spec.high, spec.hard) == (low, high, True)


def test_track_length_from_a_comparison(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("short songs under three minutes for a quick break", vocabulary)
    assert intent.feature_ranges["duration_ms"].high == 180_000
    assert intent.feature_ranges["duration_ms"].hard
    assert intent.duration_seconds is None


@pytest.mark.parametrize(
    ("prompt", "size", "seconds"),
    [("20 songs of jazz", 20, None), ("an hour of jazz", None, 3600), ("30-minute 5K run", None, 1800)],
)
def test_playlist_length(vocabulary, prompt: str, size: int | None, seconds: int | None) -> None:  # type: ignore[no-untyped-def]
    intent = parse(prompt, vocabulary)
    assert (intent.size, intent.duration_seconds) == (size, seconds)


def test_an_hour_is_about_seventeen_tracks(vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert 15 <= parse("an hour of jazz", vocabulary).target_size() <= 18


@pytest.mark.parametrize(
    ("prompt", "era"),
    [
        ("90s hip hop", (1990, 1999)),
        ("classic rock from the 70s", (1970, 1979)),
        ("songs from 2015", (2015, 2015)),
        ("early 2000s pop", (2000, 2004)),
        ("the eighties", (1980, 1989)),
        ("80s and 90s rock", (1980, 1999)),
        ("rock since 2010", (2010, 2100)),
    ],
)
def test_eras(vocabulary, prompt: str, era: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert parse(prompt, vocabulary).era == era


def test_moods_become_soft_feature_ranges(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("sad slow songs", vocabulary)
    assert intent.feature_ranges["valence"].high <= 0.3
    assert not intent.feature_ranges["valence"].hard
    assert intent.feature_ranges["energy"].high <= 0.55


def test_activity_and_familiarity(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("workout songs I haven't heard", vocabulary)
    assert intent.activity == "workout"
    assert intent.familiarity == "new_only"
    assert parse("my favourites", vocabulary).familiarity == "favourites"


def test_energy_arc(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("30-minute run, easing into calm songs at the end", vocabulary)
    assert intent.energy_arc == "ramp_down"


def test_contradictory_moods_are_reported(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("sad happy songs", vocabulary)
    assert any("contradict" in note for note in intent.relaxed)


def test_no_vocals_means_instrumental_not_an_exclusion(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("focus music with no vocals", vocabulary)
    assert intent.feature_ranges["instrumentalness"].low >= 0.5
    assert intent.feature_ranges["instrumentalness"].hard
    assert intent.exclude_tags == []


@pytest.mark.parametrize("prompt", ["", "   ", "🎵🎶 !!!", "?!.,", "x" * 2000])
def test_bad_prompts_raise_prompt_error(vocabulary, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PromptError):
        parse(prompt, vocabulary)


def test_html_and_sql_are_just_text(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("<script>alert(1)</script> rock'; DROP TABLE tracks; --", vocabulary)
    assert "rock" in intent.include_tag_names()
    assert "<script>" in intent.semantic_text


@pytest.mark.parametrize("size", [0, -1, 201])
def test_size_out_of_range(size: int) -> None:
    with pytest.raises(PromptError):
        validate_size(size)


def test_intent_round_trips_through_json_safe_dict(vocabulary) -> None:  # type: ignore[no-untyped-def]
    import json

    intent = parse("90s rock without drake, over 120 bpm, easing into calm songs at the end", vocabulary)
    data = json.loads(json.dumps(intent.to_dict()))
    assert Intent.from_dict(data) == intent


def test_edited_intent_round_trips() -> None:
    intent = Intent(
        semantic_text="jazz",
        include_tags=[TagChoice("jazz", 0.9, "jazz")],
        feature_ranges={"energy": FeatureRange(0.0, 0.4, hard=False, confidence=0.8, source="calm")},
        era=(1950, 1969),
        energy_arc=[0.2, 0.5, 0.3],
    )
    assert Intent.from_dict(intent.to_dict()) == intent


def test_refine_less_and_no(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("rap and rock", vocabulary)
    refined = refine_intent(intent, "less rap, no drake", vocabulary=vocabulary)
    assert "rap" in refined.avoid_tags
    assert "rap" not in refined.include_tag_names()
    assert refined.exclude_artists == ["Drake"]
    assert "rap" in intent.include_tag_names()  # the original is untouched


def test_refine_slower_lowers_tempo(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("songs between 120 and 140 bpm", vocabulary)
    refined = refine_intent(intent, "slower", vocabulary=vocabulary)
    assert refined.feature_ranges["tempo"].high < 140


def test_refine_more_upbeat_adds_the_mood(vocabulary) -> None:  # type: ignore[no-untyped-def]
    refined = refine_intent(parse("jazz", vocabulary), "more upbeat", vocabulary=vocabulary)
    assert refined.feature_ranges["valence"].low >= 0.5


@pytest.mark.parametrize(
    "data",
    [
        {"feature_ranges": {"energy": {"low": 0.1}}},
        {"include_tags": ["rock"]},
        {"era": [1990]},
        {"feature_ranges": {"energy": {"low": 0, "high": 1, "confidence": 3}}},
    ],
)
def test_malformed_edited_intent_raises_prompt_error(data: dict) -> None:
    with pytest.raises(PromptError, match="edited intent"):
        Intent.from_dict(data)


@pytest.mark.parametrize(
    ("prompt", "low", "high"),
    [
        ("nothing longer than 4 minutes", 0.0, 240_000.0),
        ("no songs over four minutes", 0.0, 240_000.0),
        ("nothing shorter than 3 minutes", 180_000.0, 3_600_000.0),
        ("songs of two and a half minutes or less", 0.0, 150_000.0),
        ("between 3 and 5 minutes", 180_000.0, 300_000.0),
    ],
)
def test_negated_and_spelled_out_track_lengths(vocabulary, prompt: str, low: float, high: float) -> None:  # type: ignore[no-untyped-def]
    spec = parse(prompt, vocabulary).feature_ranges["duration_ms"]
    assert (spec.low, spec.high, spec.hard) == (low, high, True)


@pytest.mark.parametrize(
    ("prompt", "low", "high"),
    [
        ("nothing faster than 100 bpm", 0.0, 100.0),
        ("no less than a hundred and twenty bpm", 120.0, 300.0),
        ("faster than 140", 140.0, 300.0),
    ],
)
def test_negated_tempo_comparisons(vocabulary, prompt: str, low: float, high: float) -> None:  # type: ignore[no-untyped-def]
    spec = parse(prompt, vocabulary).feature_ranges["tempo"]
    assert (spec.low, spec.high) == (low, high)


@pytest.mark.parametrize(
    ("prompt", "seconds"),
    [("two and a half hours of rock", 9000), ("half an hour of jazz", 1800), ("an hour and a half", 5400)],
)
def test_spelled_out_playlist_lengths(vocabulary, prompt: str, seconds: int) -> None:  # type: ignore[no-untyped-def]
    assert parse(prompt, vocabulary).duration_seconds == seconds


@pytest.mark.parametrize(
    ("prompt", "era"),
    [
        ("after 2015", (2016, 2100)),
        ("before 1980", (1000, 1979)),
        ("the year 2000", (2000, 2000)),
        ("this decade", (2020, 2029)),
        ("late 90s rock", (1995, 1999)),
        ("from the eighties", (1980, 1989)),
    ],
)
def test_more_eras(vocabulary, prompt: str, era: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert parse(prompt, vocabulary).era == era


def test_low_energy_never_reads_as_energetic(vocabulary) -> None:  # type: ignore[no-untyped-def]
    energy = parse("low energy rock", vocabulary).feature_ranges["energy"]
    assert energy.high <= 0.5


def test_negated_attribute_avoids_its_side(vocabulary) -> None:  # type: ignore[no-untyped-def]
    energy = parse("rock, nothing heavy", vocabulary).feature_ranges["energy"]
    assert energy.high <= 0.8 and not energy.hard


def test_no_x_or_y_excludes_both(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("pop, no rap or jazz", vocabulary)
    assert {"rap", "jazz"} <= set(intent.exclude_tags)


def test_nonsense_is_not_understood(vocabulary) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotUnderstoodError) as caught:
        parse("asdf qwerty", vocabulary)
    intent = caught.value.intent
    assert intent.nothing_understood and intent.suggestions
    assert "asdf" in intent.not_understood and "asdf" in str(caught.value)


def test_unknown_artist_is_named(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("something like Bon Iver but happier", vocabulary)
    assert intent.unknown_artists == ["Bon Iver"]
    assert intent.seed_artists == []


def test_french_prompt_is_read_through_the_vocabulary(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("musique douce pour un dimanche pluvieux, sans rap", vocabulary)
    assert intent.language == "fr"
    assert "rap" in intent.exclude_tags
    assert intent.activity != "party"


def test_refine_less_replaces_the_included_genre(vocabulary) -> None:  # type: ignore[no-untyped-def]
    refined = refine_intent(parse("jazz and rock", vocabulary), "less rock", vocabulary=vocabulary)
    assert "rock" not in refined.include_tag_names() and "rock" in refined.avoid_tags
    assert refined.replaced


def test_refine_no_after_less_becomes_an_exclusion(vocabulary) -> None:  # type: ignore[no-untyped-def]
    less = refine_intent(parse("jazz", vocabulary), "less rap", vocabulary=vocabulary)
    refined = refine_intent(less, "no rap", vocabulary=vocabulary)
    assert "rap" in refined.exclude_tags and "rap" not in refined.avoid_tags
    assert any("replaced" in note for note in refined.replaced)


def test_refine_more_upbeat_replaces_calm(vocabulary) -> None:  # type: ignore[no-untyped-def]
    refined = refine_intent(parse("calm jazz", vocabulary), "more upbeat", vocabulary=vocabulary)
    assert refined.feature_ranges["energy"].low >= 0.5
    assert refined.replaced


def test_refine_with_nothing_understood_is_an_error(vocabulary) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotUnderstoodError):
        refine_intent(parse("jazz", vocabulary), "zzzz", vocabulary=vocabulary)


def test_old_stored_intents_load_with_the_new_fields_defaulted() -> None:
    intent = Intent.from_dict(
        {"semantic_text": "jazz", "include_tags": [{"name": "jazz", "confidence": 1.0}]}
    )
    assert intent.not_understood == [] and intent.language == "en" and intent.replaced == []


def test_a_long_prompt_in_the_page_is_refused_not_cut() -> None:
    form = PromptForm(data={"prompt": "jazz " * 1000})
    assert "maxlength" not in str(form["prompt"])
    assert not form.is_valid()
    assert "too long" in form.errors["prompt"][0]


def test_a_language_not_read_is_said_plainly(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse_prompt(
        "musica rilassante per dormire senza rap", vocabulary=vocabulary, require_understood=False
    )
    assert intent.language == "it"
    assert any("read as English" in warning for warning in intent.warnings)


def test_a_short_english_prompt_stays_english(vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert parse("no gangster rap, just rock", vocabulary).language == "en"


def test_a_negated_degree_reaches_one_word(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("not too fast rock", vocabulary)
    assert "rock" in intent.include_tag_names() and "rock" not in intent.exclude_tags
    assert intent.feature_ranges["tempo"].high <= 140


@pytest.mark.parametrize(
    ("prompt", "era"),
    [("live rock, nothing before 1990", (1990, 2100)), ("rock but nothing after 1979", (1000, 1979))],
)
def test_negated_eras_turn_round(vocabulary, prompt: str, era: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert parse(prompt, vocabulary).era == era


def test_a_comparison_ending_in_long_consumes_it(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("rock under 3 minutes long", vocabulary)
    assert intent.feature_ranges["duration_ms"].high == 180_000
    assert "long" not in intent.moods


def test_less_inside_a_prompt_ranks_down(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("jazz but less rap", vocabulary)
    assert "rap" in intent.avoid_tags and "rap" not in intent.exclude_tags
    assert "jazz" in intent.include_tag_names()


def test_not_an_adjective_keeps_the_genre(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("not mainstream rock", vocabulary)
    assert "rock" in intent.include_tag_names() and "rock" not in intent.exclude_tags
    assert intent.feature_ranges["popularity"].high <= 62
    assert parse("rock but not hard rock", vocabulary).exclude_tags == ["hard rock"]


def test_refine_less_after_no_replaces_the_exclusion(vocabulary) -> None:  # type: ignore[no-untyped-def]
    refined = refine_intent(parse("rock, no rap", vocabulary), "less rap", vocabulary=vocabulary)
    assert not {"rap", "trap"} & set(refined.exclude_tags)  # "no rap" also left out its child trap
    assert {"rap", "trap"} <= set(refined.avoid_tags)
    assert refined.replaced == ["'less rap' replaced the earlier 'no rap, trap'"]
    assert "rock" in refined.include_tag_names()


def test_refine_less_of_a_narrower_genre_keeps_the_genre_asked_for_by_name(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("rock", vocabulary)
    assert {"rock", "hard rock"} <= set(intent.include_tag_names())
    refined = refine_intent(intent, "less hard rock", vocabulary=vocabulary)
    assert "rock" in refined.include_tag_names() and "rock" not in refined.avoid_tags
    assert "hard rock" in refined.avoid_tags and "hard rock" not in refined.include_tag_names()
    # Never asked for and ranked down at once.
    assert not set(refined.include_tag_names()) & set(refined.avoid_tags)


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("12 rock songs", 12),
        ("give me 15 upbeat pop songs", 15),
        ("a dozen jazz tracks", 12),
        ("top 40 pop songs", None),
    ],
)
def test_a_count_with_words_before_the_noun_is_the_size(vocabulary, prompt: str, size: int | None) -> None:  # type: ignore[no-untyped-def]
    intent = parse(prompt, vocabulary)
    assert intent.size == size
    assert not intent.not_understood


def test_a_count_before_a_unit_is_a_length_not_a_size(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("20 minute rock songs", vocabulary)
    assert intent.size is None and intent.duration_seconds == 1200


@pytest.mark.parametrize(
    ("prompt", "era"),
    [
        ("music released after the year 2010", (2011, 2100)),
        ("rock up to 1979", (1000, 1979)),
        ("songs until 1995", (1000, 1995)),
        ("pop since the year 2000", (2000, 2100)),
    ],
)
def test_open_ended_eras_read_their_side(vocabulary, prompt: str, era: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    intent = parse(prompt, vocabulary)
    assert intent.era == era
    assert not intent.not_understood


@pytest.mark.parametrize(
    ("prompt", "feature", "middle"),
    [
        ("not too fast, not too slow", "tempo", (100.0, 135.0)),
        ("songs that are neither too fast nor too slow", "tempo", (100.0, 135.0)),
        ("mid-tempo rock", "tempo", (100.0, 135.0)),
        ("medium tempo songs", "tempo", (100.0, 135.0)),
        ("moderate energy", "energy", (0.45, 0.75)),
        ("not too loud and not too quiet", "loudness", (-10.0, -6.0)),
        ("songs that are not happy and not sad", "valence", (0.33, 0.65)),
    ],
)
def test_the_middle_of_a_scale(vocabulary, prompt: str, feature: str, middle: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    intent = parse(prompt, vocabulary)
    spec = intent.feature_ranges[feature]
    assert (spec.low, spec.high) == middle and not spec.hard
    assert not intent.not_understood


@pytest.mark.parametrize(
    "prompt",
    [
        "no explicit lyrics",
        "hip hop, nothing explicit",
        "clean versions only",
        "rap with no swearing",
        "family friendly pop for a road trip",
        "songs for the kids",
        "kids party songs",
    ],
)
def test_asking_for_clean_music_leaves_out_explicit_tracks(vocabulary, prompt: str) -> None:  # type: ignore[no-untyped-def]
    intent = parse(prompt, vocabulary)
    assert intent.clean
    assert not intent.not_understood


def test_explicit_before_a_genre_is_not_a_clean_request(vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert not parse("rock without explicit rap", vocabulary).clean


def test_a_clean_flag_survives_the_round_trip_and_must_be_a_boolean() -> None:
    intent = Intent(semantic_text="pop", clean=True)
    assert Intent.from_dict(intent.to_dict()).clean
    with pytest.raises(PromptError):
        Intent.from_dict({**intent.to_dict(), "clean": "yes"})


def test_refining_with_no_swearing_makes_the_playlist_clean(vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert refine_intent(parse("rap", vocabulary), "no swearing", vocabulary=vocabulary).clean


@pytest.mark.parametrize(
    ("prompt", "years_back"),
    [
        ("popular songs from this year", (0, 0)),
        ("hits from last year", (1, 1)),
        ("songs from the last 5 years", (5, 0)),
        ("songs from the past two years", (2, 0)),
        ("music from the past decade", (10, 0)),
    ],
)
def test_years_counted_from_today(vocabulary, prompt: str, years_back: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    this_year = date.today().year
    intent = parse(prompt, vocabulary)
    assert intent.era == (this_year - years_back[0], this_year - years_back[1])
    assert not intent.not_understood


def test_a_negation_naming_explicit_among_other_things_still_reaches_them(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("avoid anything explicit or aggressive", vocabulary)
    assert intent.clean
    assert intent.feature_ranges["energy"].high < 1.0  # not aggressive


@pytest.mark.parametrize(
    ("prompt", "size", "seconds"),
    [
        ("a short playlist of sad songs", 15, None),
        ("a long playlist of dance music", 60, None),
        ("a short playlist of 20 songs", 20, None),
        ("a long 2 hour playlist", None, 7200),
    ],
)
def test_a_short_or_long_playlist_is_about_the_playlist_not_its_tracks(  # type: ignore[no-untyped-def]
    vocabulary, prompt: str, size: int | None, seconds: int | None
) -> None:
    intent = parse(prompt, vocabulary)
    assert (intent.size, intent.duration_seconds) == (size, seconds)
    assert "duration_ms" not in intent.feature_ranges


@pytest.mark.parametrize(
    ("prompt", "language", "tempo", "era", "no_vocals"),
    [
        ("canciones tristes de los 90", "es", None, (1990, 1999), False),
        ("música para correr, más de 150 bpm", None, (150.0, 300.0), None, False),
        ("musique calme sans paroles", "fr", None, None, True),
        ("chansons joyeuses des années 80", "fr", None, (1980, 1989), False),
        ("entspannte Musik ohne Gesang", "de", None, None, True),
        ("schnelle Lieder über 140 bpm", "de", (140.0, 300.0), None, False),
        ("Rock der 80er Jahre", "de", None, (1980, 1989), False),
        ("música sem letra para estudar", None, None, None, True),
    ],
)
def test_comparisons_lyrics_and_decades_in_other_languages(  # type: ignore[no-untyped-def]
    vocabulary, prompt: str, language: str | None, tempo, era, no_vocals: bool
) -> None:
    intent = parse(prompt, vocabulary)
    if language is not None:  # Spanish and Portuguese are easily taken for each other: either reads it
        assert intent.language == language
    spec = intent.feature_ranges.get("tempo")
    assert (spec.low, spec.high) == tempo if tempo else spec is None
    assert intent.era == era
    assert ("instrumentalness" in intent.feature_ranges) == no_vocals
    assert not intent.not_understood


def test_refining_with_an_exclusion_does_not_rank_down_what_is_still_asked_for(vocabulary) -> None:  # type: ignore[no-untyped-def]
    refined = refine_intent(parse("rock", vocabulary), "without the classic rock", vocabulary=vocabulary)
    assert "classic rock" in refined.exclude_tags and "classic rock" not in refined.include_tag_names()
    assert "rock" in refined.include_tag_names()
    assert not set(refined.include_tag_names()) & set(refined.avoid_tags)


def test_a_word_after_a_degree_is_an_adjective_not_an_artist() -> None:
    vocabulary = fake_vocabulary(artists=("Poppy", "Drake"))
    assert parse("upbeat, but not too poppy", vocabulary).exclude_artists == []
    assert parse("upbeat, but no drake", vocabulary).exclude_artists == ["Drake"]


def test_two_refused_words_of_different_scales_stay_two_negations(vocabulary) -> None:  # type: ignore[no-untyped-def]
    intent = parse("not too loud, not too heavy", vocabulary)
    assert intent.feature_ranges["loudness"].high < -6.0  # not loud
    assert intent.feature_ranges["energy"].high < 1.0  # not heavy
