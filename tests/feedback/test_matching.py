"""Matching plays to catalog tracks through the real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback.history_formats import Play
from feedback.matching import normalize_title, plays_match
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db


def play(track: str, artist: str, **extra: str) -> Play:
    return Play(
        ts=datetime(2020, 1, 1, tzinfo=UTC), ms_played=1000, track_name=track, artist_name=artist, **extra
    )


def test_matches_by_uri_isrc_then_artist_and_title() -> None:
    by_source = TrackFactory(source="spotify", source_id="4uLU6hMCjMI75M1A2tKUQC", title="Never")
    by_uri = TrackFactory(spotify_uri="spotify:track:7GhIk7Il098yCjg4BQjzvb", title="Gonna")
    by_isrc = TrackFactory(isrc="GBARL9300135", title="Give")
    by_name = TrackFactory(title="Let You Down - Remastered 2011", artists=["Rick Astley"])
    plays = [
        play("x", "y", spotify_track_uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC"),
        play("x", "y", spotify_track_uri="spotify:track:7GhIk7Il098yCjg4BQjzvb"),
        play("x", "y", isrc="gbarl9300135"),
        play("Let You Down (feat. Nobody)", "rick astley"),
        play("Unknown Song", "Nobody"),
    ]
    result = plays_match(plays=plays)
    assert result.track_ids == [by_source.pk, by_uri.pk, by_isrc.pk, by_name.pk, None]
    assert [unmatched.track_name for unmatched in result.unmatched] == ["Unknown Song"]


def test_artist_and_title_match_ignores_case_accents_and_featuring() -> None:
    track = TrackFactory(title="Déjà Vu", artists=["Beyoncé"])
    result = plays_match(plays=[play("deja vu (feat. Jay-Z)", "BEYONCÉ")])
    assert result.matched_ids == [track.pk]
    assert normalize_title("Déjà Vu (feat. Jay-Z)") == normalize_title("deja vu")
    assert normalize_title("Let You Down - Remastered 2011") == "let you down"
