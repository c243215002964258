"""Matching imported plays to catalog tracks: by Spotify URI, ISRC, MusicBrainz id, else artist+title."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower

from catalog.models import Track, TrackArtist
from feedback.history_formats import Play

SPOTIFY_SOURCE = "spotify"


@dataclass
class MatchResult:
    track_ids: list[int | None]  # per play, in the order given
    unmatched: list[Play] = field(default_factory=list)

    @property
    def matched_ids(self) -> list[int]:
        return [track_id for track_id in self.track_ids if track_id is not None]


def normalize_title(text: str) -> str:
    """Lower-case, accents and punctuation off, "(feat. X)" and " - Remastered 2011" dropped."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\s*[\(\[](?:feat|ft|with)\.?[^\)\]]*[\)\]]", "", text)
    text = re.sub(r"\s+-\s+.*(?:remaster|version|edit|mix|live|mono|stereo).*$", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def normalize_artist(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def plays_match(*, plays: Sequence[Play]) -> MatchResult:
    """The catalog track of each play (None when unknown); one query per identifier kind."""
    found: list[int | None] = [None] * len(plays)
    _match_identifiers(plays, found)
    _match_by_name(plays, found)
    return MatchResult(
        track_ids=found,
        unmatched=[play for play, track_id in zip(plays, found, strict=True) if track_id is None],
    )


def _match_identifiers(plays: Sequence[Play], found: list[int | None]) -> None:
    spotify_ids = {play.spotify_track_id for play in plays if play.spotify_track_id}
    isrcs = {play.isrc.upper() for play in plays if play.isrc}
    mbids = {play.musicbrainz_recording_id for play in plays if play.musicbrainz_recording_id}
    if not (spotify_ids or isrcs or mbids):
        return
    condition = Q(pk__in=[])
    if spotify_ids:
        uris = [f"spotify:track:{spotify_id}" for spotify_id in spotify_ids]
        condition |= Q(spotify_uri__in=uris) | Q(source=SPOTIFY_SOURCE, source_id__in=spotify_ids)
    if isrcs:
        condition |= Q(isrc__in=isrcs)
    if mbids:
        condition |= Q(musicbrainz_recording_id__in=_valid_uuids(mbids))
    by_key: dict[str, int] = {}
    for pk, source, source_id, uri, isrc, mbid in Track.objects.filter(condition).values_list(
        "pk", "source", "source_id", "spotify_uri", "isrc", "musicbrainz_recording_id"
    ):
        if uri:
            by_key.setdefault(f"spotify:{uri.rsplit(':', 1)[-1]}", pk)
        if source == SPOTIFY_SOURCE:
            by_key.setdefault(f"spotify:{source_id}", pk)
        if isrc:
            by_key.setdefault(f"isrc:{isrc.upper()}", pk)
        if mbid:
            by_key.setdefault(f"mbid:{mbid}", pk)
    for index, play in enumerate(plays):
        for key in (
            f"spotify:{play.spotify_track_id}" if play.spotify_track_id else "",
            f"isrc:{play.isrc.upper()}" if play.isrc else "",
            f"mbid:{play.musicbrainz_recording_id.lower()}" if play.musicbrainz_recording_id else "",
        ):
            if key and key in by_key:
                found[index] = by_key[key]
                break


def _valid_uuids(values: set[str]) -> list[str]:
    pattern = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    return [value.lower() for value in values if pattern.match(value.lower())]


def _match_by_name(plays: Sequence[Play], found: list[int | None]) -> None:
    pending = [index for index, track_id in enumerate(found) if track_id is None]
    if not pending:
        return
    # Candidates by artist name (any title spelling: "Song - Remastered 2011") or exact title.
    artists = {plays[index].artist_name.lower() for index in pending}
    titles = {plays[index].track_name.lower() for index in pending}
    candidates = (
        TrackArtist.objects.annotate(lower_title=Lower("track__title"), lower_artist=Lower("artist__name"))
        .filter(Q(lower_artist__in=artists) | Q(lower_title__in=titles))
        .values_list("track_id", "track__title", "artist__name")
    )
    by_key: dict[tuple[str, str], int] = {}
    for track_id, title, artist in candidates:
        by_key.setdefault((normalize_artist(artist), normalize_title(title)), track_id)
    for index in pending:
        play = plays[index]
        key = (normalize_artist(play.artist_name), normalize_title(play.track_name))
        if key in by_key:
            found[index] = by_key[key]
