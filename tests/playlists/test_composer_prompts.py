"""The browser cases of issue 15 on the demo catalog, embedded with the real model: the prompt
decides what fits and taste only orders, hard constraints hold or are reported, total lengths
are met, and what was not understood is said."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from catalog.models import LibrarySource, MediaFile, Tag, Track
from playlists.composer import (
    INSTRUMENTAL_FLOOR,
    SPEECHINESS_CEILING,
    Composition,
    ListenerContext,
    NothingUnderstood,
    listener_context_build,
    playlist_compose,
)
from playlists.engine.explain import ExplainContext, explain
from playlists.engine.intent import FeatureRange, Intent, TagChoice
from playlists.engine.scoring import TASTE_MOVE_MIN_PLACES, Weights, places_moved, prompt_fit_mask
from tests.playlists.demo_catalog import demo

__all__ = ["demo"]  # the module-scoped fixture

pytestmark = [pytest.mark.model, pytest.mark.django_db]


def tracks_of(composition: Composition) -> list[Track]:
    by_id = Track.objects.in_bulk([item.track_id for item in composition.items])
    return [by_id[item.track_id] for item in composition.items]


def minutes(tracks: Sequence[Track]) -> float:
    return sum(track.duration_ms or 0 for track in tracks) / 60000


def tagged(tracks: Sequence[Track], name: str) -> list[Track]:
    return [track for track in tracks if track.tags.filter(name=name).exists()]


def rap_listener() -> ListenerContext:
    """One small history import, all gangsta rap."""
    rap = Track.objects.filter(tags__name="gangsta rap", embedding__isnull=False).order_by("pk")[:15]
    assert rap
    return listener_context_build(track_weights={track.pk: 3.0 for track in rap})


@pytest.mark.parametrize(
    ("prompt", "asked"), [("20 minutes of jazz", 20), ("an hour of jazz", 60), ("5K run", 30)]
)
def test_a_requested_total_length_is_met_within_ten_percent(demo: None, prompt: str, asked: float) -> None:
    composition = playlist_compose(prompt=prompt)

    total = minutes(tracks_of(composition))
    assert abs(total - asked) <= 0.1 * asked, (total, composition.relaxed)


def test_no_vocals_is_hard_and_the_hour_is_an_hour(demo: None) -> None:
    composition = playlist_compose(prompt="an hour of focus music without vocals", listener=rap_listener())

    tracks = tracks_of(composition)
    assert tracks
    assert all(track.instrumentalness >= INSTRUMENTAL_FLOOR for track in tracks)
    assert all(track.speechiness <= SPEECHINESS_CEILING for track in tracks)
    assert not tagged(tracks, "gangsta rap")
    assert 54 <= minutes(tracks) <= 66


def test_an_impossible_tempo_and_era_are_both_relaxed_and_said_by_how_much(demo: None) -> None:
    composition = playlist_compose(prompt="jazz over 250 bpm from the 2030s")

    notes = composition.relaxed
    assert any(note.startswith("tempo over 250 bpm") and "off" in note for note in notes), notes
    assert any(note.startswith("year 2030-2039") and "off" in note for note in notes), notes
    tempo = composition.intent.feature_ranges["tempo"]
    era = composition.intent.era
    assert era is not None
    for track in tracks_of(composition):
        assert tempo.low <= track.tempo <= tempo.high
        assert era[0] <= track.release_year <= era[1]


@pytest.mark.parametrize("prompt", ["rainy sunday acoustic", "an hour of focus music without vocals"])
def test_taste_never_brings_in_a_track_the_prompt_would_not_pick(demo: None, prompt: str) -> None:
    listener = rap_listener()
    # The prompt alone (taste and discovery weigh nothing) picks 90. Taste chooses its 30 among
    # the tracks that fit the prompt as well as its 30 best (scoring.prompt_fit_mask) in a
    # shallower candidate search, so a few may rank lower in the deeper search of 90.
    unpersonal = Weights(taste=0.0, discovery=0.0)
    by_prompt = playlist_compose(prompt=prompt, size=90, listener=listener, weights=unpersonal, diversity=0.0)
    best_by_prompt = {track.pk for track in tracks_of(by_prompt)}

    personal = tracks_of(playlist_compose(prompt=prompt, size=30, listener=listener))

    assert not tagged(personal, "gangsta rap")
    strangers = [track for track in personal if track.pk not in best_by_prompt]
    assert len(strangers) <= 3, [track.title for track in strangers]


def test_close_to_your_taste_is_said_only_of_tracks_taste_moved(demo: None) -> None:
    composition = playlist_compose(prompt="hip hop", size=20, listener=rap_listener())

    said = [item for item in composition.items if "close to your taste" in item.reasons]
    for item in said:
        assert item.components["taste"] > 0


def test_places_moved_and_the_prompt_fit_mask() -> None:
    by_prompt = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    with_taste = by_prompt + np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])

    moved = places_moved(by_prompt, with_taste)

    assert moved.tolist() == [-1, -1, -1, -1, -1, -1, 6]
    assert (moved >= TASTE_MOVE_MIN_PLACES).tolist() == [False] * 6 + [True]
    allowed = np.array([True, False, True, True, True, True, True])
    components = {
        "tag_match": np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.0, 0.9]),
        "feature_fit": np.array([1.0, 1.0, 1.0, 0.5, 0.97, 1.0, 1.0]),
    }
    # The 1.5 x 2 = 3 best allowed rows (0, 2, 3), and the rows matching genre and mood as well
    # as the 2 best (tag_match >= 0.85, feature_fit >= 0.95): 4 and 6, not 5 (no genre).
    mask = prompt_fit_mask(by_prompt, allowed, components, size=2)
    assert mask.tolist() == [True, False, True, True, True, False, True]


def test_close_to_your_taste_needs_a_visible_move() -> None:
    context = ExplainContext(include_tags={"jazz": 1.0}, mood_labels={}, personalized=True)
    common = {
        "context": context,
        "tags": {"jazz"},
        "artist_names": ("A",),
        "heard": True,
        "curator_pick": False,
    }

    assert "close to your taste" not in explain(components={"taste": 0.9}, taste_moved=False, **common)
    assert "close to your taste" in explain(components={"taste": 0.9}, taste_moved=True, **common)


def test_nothing_understood_gets_suggestions_not_tracks(demo: None) -> None:
    intent = Intent(semantic_text="asdf qwerty", not_understood=["asdf", "qwerty"], nothing_understood=True)

    with pytest.raises(NothingUnderstood) as error:
        playlist_compose(intent=intent)

    assert str(error.value).startswith("Segue did not understand: asdf, qwerty.")
    assert "relaxing evening jazz" in str(error.value)


def test_an_artist_not_in_the_library_is_named_and_its_style_used(demo: None) -> None:
    intent = Intent(semantic_text="radiohead happier", unknown_artists=["Radiohead"])

    composition = playlist_compose(intent=intent, size=10)

    assert "Radiohead is not in your library; used its style: alternative rock, rock, electronic" in (
        composition.intent.warnings
    )
    styled = [
        track
        for track in tracks_of(composition)
        if track.tags.filter(name__in=["alternative rock", "rock", "electronic"])
    ]
    assert len(styled) >= 8


def test_an_unknown_artist_without_a_known_style_is_still_named(demo: None) -> None:
    intent = Intent(semantic_text="jazz", unknown_artists=["Nobody Anyone Knows"])
    intent.include_tags = [TagChoice("jazz", 0.9)]

    composition = playlist_compose(intent=intent, size=5)

    assert (
        "Nobody Anyone Knows is not in your library; used the rest of the prompt"
        in composition.intent.warnings
    )


def test_tracks_whose_library_files_were_all_removed_stay_out(demo: None) -> None:
    intent = Intent(semantic_text="jazz", include_tags=[TagChoice("jazz", 0.9)])
    first = tracks_of(playlist_compose(intent=intent, size=10))
    gone, kept = first[0], first[1]
    source = LibrarySource.objects.create(name="Music", root="/music")
    now = timezone.now()
    for number, (track, removed_at) in enumerate([(gone, now), (gone, now), (kept, now), (kept, None)]):
        MediaFile.objects.create(
            source=source,
            track=track,
            path=f"{number}.mp3",
            size=1,
            mtime=0.0,
            audio_format="mp3",
            content_type="audio/mpeg",
            removed_at=removed_at,
        )

    again = {track.pk for track in tracks_of(playlist_compose(intent=intent, size=10))}

    assert gone.pk not in again
    assert kept.pk in again


def test_a_hard_exclusion_is_kept_with_a_listener_too(demo: None) -> None:
    intent = Intent(
        semantic_text="hip hop", include_tags=[TagChoice("hip hop", 0.9)], exclude_tags=["gangsta rap"]
    )
    intent.feature_ranges["tempo"] = FeatureRange(60, 200, hard=True)

    tracks = tracks_of(playlist_compose(intent=intent, size=20, listener=rap_listener()))

    assert tracks and not tagged(tracks, "gangsta rap")
    assert Tag.objects.filter(name="gangsta rap").exists()


def _give_audio(tracks: list[Track], *, root: str = "/music") -> None:
    source = LibrarySource.objects.create(name="Music", root=root)
    for number, track in enumerate(tracks):
        MediaFile.objects.create(
            source=source,
            track=track,
            path=f"{number}.mp3",
            size=1,
            mtime=0.0,
            audio_format="mp3",
            content_type="audio/mpeg",
        )


def test_once_a_library_holds_audio_playlists_take_only_tracks_with_audio(demo: None) -> None:
    intent = Intent(semantic_text="jazz", include_tags=[TagChoice("jazz", 0.9)])
    with_audio = tracks_of(playlist_compose(intent=intent, size=10))[:3]
    _give_audio(with_audio)

    again = {track.pk for track in tracks_of(playlist_compose(intent=intent, size=10))}

    assert again == {track.pk for track in with_audio}


def test_playlists_may_still_mix_in_tracks_without_audio_when_told_to(demo: None, settings: Any) -> None:
    settings.PLAYLISTS_AUDIO_ONLY = "never"
    intent = Intent(semantic_text="jazz", include_tags=[TagChoice("jazz", 0.9)])
    _give_audio(tracks_of(playlist_compose(intent=intent, size=10))[:3])

    assert len(tracks_of(playlist_compose(intent=intent, size=10))) == 10
