"""playlist_compose against a small catalog made here, embedded with the real model."""

from __future__ import annotations

import pytest

from catalog.models import Artist, Track
from playlists.composer import (
    EditorialRules,
    ListenerContext,
    Pin,
    listener_context_build,
    playlist_compose,
    vocabulary_load,
)
from playlists.engine.intent import PromptError
from playlists.engine.parse import parse_prompt
from playlists.engine.rerank import RerankRules

pytestmark = [pytest.mark.model, pytest.mark.django_db]


def titles(composition) -> list[str]:  # type: ignore[no-untyped-def]
    by_id = Track.objects.in_bulk([item.track_id for item in composition.items])
    return [by_id[item.track_id].title for item in composition.items]


def test_calm_jazz_without_drake(catalog: dict[str, Track]) -> None:
    stages: list[str] = []
    composition = playlist_compose(prompt="calm jazz without Drake", size=8, on_stage=stages.append)
    names = titles(composition)
    assert len(names) == 8
    assert all(name.startswith("Blue Night") for name in names)
    assert composition.intent.exclude_artists == ["Drake"]
    assert stages == ["parse", "candidates", "score", "rerank", "sequence", "explain"]
    assert set(composition.stage_seconds) == set(stages)
    assert all(item.reasons for item in composition.items)
    assert any("jazz" in reason for item in composition.items for reason in item.reasons)
    assert set(composition.items[0].components) == {
        "semantic",
        "feature_fit",
        "tag_match",
        "taste",
        "popularity",
        "discovery",
    }
    assert composition.propensity is None
    assert [item.position for item in composition.items] == list(range(8))


def test_exclusion_is_never_violated_even_when_the_playlist_comes_up_short(catalog: dict[str, Track]) -> None:
    composition = playlist_compose(prompt="rock but no hard rock", size=40)
    names = titles(composition)
    assert names and not any(name.startswith("Heavy Riff") for name in names)
    assert any(note.startswith("size: only") for note in composition.relaxed)


def test_unsatisfiable_tempo_is_relaxed_and_reported(catalog: dict[str, Track]) -> None:
    composition = playlist_compose(prompt="songs over 400 bpm", size=5)
    assert len(composition.items) == 5
    assert any("tempo over 400 bpm" in note for note in composition.relaxed)
    # The closest tracks: the fastest ones.
    tempos = [Track.objects.get(pk=item.track_id).tempo for item in composition.items]
    assert min(tempos) >= 120


def test_era_is_a_hard_constraint(catalog: dict[str, Track]) -> None:
    composition = playlist_compose(prompt="rock from the 70s", size=5)
    years = [Track.objects.get(pk=item.track_id).release_year for item in composition.items]
    assert years and all(1970 <= year <= 1979 for year in years)


def test_blocked_tracks_and_artists_never_appear_and_pins_do(catalog: dict[str, Track]) -> None:
    blocked_track = catalog["Blue Night 0"]
    blocked_artist = catalog["Blue Night 1"].artists.get()
    pinned = catalog["Road Anthem 3"]
    rules = EditorialRules(
        blocked_track_ids=frozenset({blocked_track.pk}),
        blocked_artist_ids=frozenset({blocked_artist.pk}),
        pinned=(Pin(track_id=pinned.pk, position=0),),
    )
    composition = playlist_compose(prompt="calm jazz", size=10, rules=rules)
    track_ids = [item.track_id for item in composition.items]
    assert blocked_track.pk not in track_ids
    assert not Track.objects.filter(pk__in=track_ids, artists=blocked_artist).exists()
    assert track_ids[0] == pinned.pk
    assert "curator pick" in composition.items[0].reasons


def test_new_only_leaves_out_heard_tracks_and_says_new_to_you(catalog: dict[str, Track]) -> None:
    heard = frozenset(track.pk for title, track in catalog.items() if title.startswith("Blue Night"))
    listener = ListenerContext(heard_track_ids=heard, favourite_artist_names=("Rock Band 1",))
    composition = playlist_compose(prompt="jazz songs I haven't heard", size=5, listener=listener)
    assert composition.intent.familiarity == "new_only"
    assert not heard & {item.track_id for item in composition.items}
    assert all("new to you" in item.reasons for item in composition.items)


def test_regenerating_from_an_edited_intent(catalog: dict[str, Track]) -> None:
    first = playlist_compose(prompt="hard rock", size=5)
    edited = first.intent
    edited.include_tags = []
    edited.exclude_tags = ["hard rock"]
    second = playlist_compose(intent=edited, size=5)
    names = titles(second)
    assert names and not any(name.startswith("Heavy Riff") for name in names)


def test_vocabulary_comes_from_the_catalog_tags(catalog: dict[str, Track]) -> None:
    vocabulary = vocabulary_load()
    assert {"jazz", "rock", "hard rock", "rap"} <= set(vocabulary.tag_names)
    assert vocabulary.tag_children["rock"] == ["hard rock"]
    assert vocabulary_load() is vocabulary


def test_an_artist_added_by_an_import_is_known_without_rebuilding_the_vocabulary(
    catalog: dict[str, Track],
) -> None:
    vocabulary = vocabulary_load()
    Artist.objects.create(name="Nina Newcomer")
    assert vocabulary_load() is vocabulary
    assert vocabulary.find_artist("nina newcomer") == "Nina Newcomer"


@pytest.mark.parametrize(("prompt", "size"), [("", 10), ("🎶🎶", 10), ("jazz", 0), ("jazz", 500)])
def test_bad_input_raises_prompt_error(catalog: dict[str, Track], prompt: str, size: int) -> None:
    with pytest.raises(PromptError):
        playlist_compose(prompt=prompt, size=size)


def test_another_language_still_gives_a_playlist(catalog: dict[str, Track]) -> None:
    composition = playlist_compose(prompt="música tranquila de jazz para la noche", size=5)
    assert len(composition.items) == 5


def test_favourites_come_from_what_the_listener_played(catalog: dict[str, Track]) -> None:
    loved = [catalog[f"Road Anthem {n}"] for n in range(4)]
    listener = ListenerContext(
        heard_track_ids=frozenset(track.pk for track in loved),
        track_affinity={track.pk: 5.0 for track in loved},
    )
    composition = playlist_compose(prompt="my favourites", size=4, listener=listener)
    assert {item.track_id for item in composition.items} == {track.pk for track in loved}


def test_listener_context_from_plays_personalizes(catalog: dict[str, Track]) -> None:
    played = {catalog[f"Blue Night {n}"].pk: 1.0 for n in range(3)}
    listener = listener_context_build(track_weights=played)
    assert listener.taste_vector is not None
    assert listener.heard_track_ids == frozenset(played)
    assert set(listener.favourite_artist_names) <= {f"Jazz Trio {n}" for n in range(3)}
    intent = parse_prompt("something for tonight", vocabulary=vocabulary_load())
    intent.familiarity = "new_only"
    composition = playlist_compose(intent=intent, size=5, listener=listener)
    names = titles(composition)
    assert not set(played) & {item.track_id for item in composition.items}
    # The listener's jazz taste outweighs a prompt that names no genre.
    assert sum(name.startswith(("Blue Night", "Drake Slow Jam")) for name in names) >= 4
    assert all("new to you" in item.reasons for item in composition.items)


def test_energy_arc_eases_into_calm_songs(catalog: dict[str, Track]) -> None:
    composition = playlist_compose(prompt="a run, easing into calm songs at the end", size=10)
    assert composition.intent.energy_arc == "ramp_down"
    assert len(composition.items) == 10
    energies = [Track.objects.get(pk=item.track_id).energy for item in composition.items]
    assert sum(energies[:3]) / 3 > sum(energies[-3:]) / 3 + 0.4


def test_an_experiment_variants_diversity_reaches_the_reranking(catalog: dict[str, Track]) -> None:
    def picked(diversity: float | None) -> list[str]:
        return titles(playlist_compose(prompt="upbeat dance", size=8, diversity=diversity))

    assert picked(None) == picked(RerankRules().diversity)  # no variant: the default strength
    assert picked(0.0) != picked(3.0)  # a variant's strength changes what is picked
