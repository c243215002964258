"""Which catalog track a scanned file is: same MusicBrainz recording id, else same ISRC, else the
same normalized title and first artist with a duration within ±2 s; otherwise a new library
track. The generated demo catalog is made up: a real file never joins one of its tracks."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from catalog.demo import DEMO_SOURCE
from catalog.library.tags import FileTags
from catalog.models import (
    LIBRARY_TRACK_SOURCE,
    Artist,
    Tag,
    TagKind,
    Track,
    TrackArtist,
    TrackTag,
)

if TYPE_CHECKING:
    pass


DURATION_MATCH_MS = 2000


def normalized_name(text: str) -> str:
    """Case, accents, punctuation and spacing removed: 'Beyoncé – Halo!' ~ 'beyonce halo'."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w]+", " ", without_marks.casefold()).split())


def track_for_file(tags: FileTags, digest: str) -> Track:
    """The catalog track of this recording, or a new library track.

    The generated demo catalog is made up: a real file never joins one of its tracks.
    """
    if tags.musicbrainz_recording_id is not None:
        track = (
            _mergeable_tracks()
            .filter(musicbrainz_recording_id=tags.musicbrainz_recording_id)
            .order_by("pk")
            .first()
        )
        if track is not None:
            return track
    if tags.isrc:
        track = _mergeable_tracks().filter(isrc=tags.isrc).order_by("pk").first()
        if track is not None:
            return track
    track = _track_by_names(tags)
    if track is not None:
        return track
    source_id = f"file:{digest[:48]}"
    existing = Track.objects.filter(source=LIBRARY_TRACK_SOURCE, source_id=source_id).first()
    if existing is not None:  # a byte-identical copy elsewhere in the folder
        return existing
    track = Track.objects.create(
        source=LIBRARY_TRACK_SOURCE,
        source_id=source_id,
        title=tags.title,
        album=tags.album,
        release_year=tags.year,
        duration_ms=tags.duration_ms,
        isrc=tags.isrc,
        musicbrainz_recording_id=tags.musicbrainz_recording_id,
    )
    _track_artists_set(track, tags.artists)
    return track


def _mergeable_tracks() -> QuerySet[Track]:
    return Track.objects.exclude(source=DEMO_SOURCE)


def _track_by_names(tags: FileTags) -> Track | None:
    if not tags.artists or tags.duration_ms is None:
        return None
    title_key, artist_key = normalized_name(tags.title), normalized_name(tags.artists[0])
    near = _mergeable_tracks().filter(
        duration_ms__gte=tags.duration_ms - DURATION_MATCH_MS,
        duration_ms__lte=tags.duration_ms + DURATION_MATCH_MS,
    )
    # Two indexed ways in (the lower-cased title; the artist's lower-cased name), then the
    # normalized comparison in Python, so spacing, punctuation and accents do not matter.
    artist_ids = Artist.objects.annotate(lower_name=Lower("name")).filter(lower_name=tags.artists[0].lower())
    by_title = near.annotate(lower_title=Lower("title")).filter(lower_title=tags.title.lower())
    by_artist = near.filter(track_artists__artist__in=artist_ids.values("pk"), track_artists__position=0)
    candidates = (
        Track.objects.filter(Q(pk__in=by_title.values("pk")[:20]) | Q(pk__in=by_artist.values("pk")[:200]))
        .prefetch_related("track_artists__artist")
        .order_by("pk")
    )
    for track in candidates:
        names = [link.artist.name for link in track.track_artists.all()]
        if normalized_name(track.title) == title_key and names and normalized_name(names[0]) == artist_key:
            return track
    return None


def track_update_from_tags(track: Track, tags: FileTags) -> None:
    """Library tracks follow their file's tags; another source's track only gets blanks filled."""
    owned = track.source == LIBRARY_TRACK_SOURCE
    fields: dict[str, object] = {}
    candidates: tuple[tuple[str, object, object], ...] = (
        ("title", tags.title, ""),
        ("album", tags.album, ""),
        ("release_year", tags.year, None),
        ("duration_ms", tags.duration_ms, None),
        ("isrc", tags.isrc, ""),
        ("musicbrainz_recording_id", tags.musicbrainz_recording_id, None),
    )
    for name, value, empty in candidates:
        if value in ("", None):
            continue
        if (owned or getattr(track, name) == empty) and getattr(track, name) != value:
            fields[name] = value
    if fields:
        for name, value in fields.items():
            setattr(track, name, value)
        track.save(update_fields=[*fields, "updated_at"])
    if owned or not track.track_artists.exists():
        _track_artists_set(track, tags.artists)
    if tags.genres:
        tag_ids = []
        for genre in tags.genres:
            genre_tag, _ = Tag.objects.get_or_create(kind=TagKind.GENRE, name=genre.lower()[:100])
            tag_ids.append(genre_tag.pk)
        TrackTag.objects.bulk_create(
            [TrackTag(track=track, tag_id=tag_id) for tag_id in tag_ids], ignore_conflicts=True
        )


def _track_artists_set(track: Track, names: tuple[str, ...]) -> None:
    wanted = []
    for name in names:
        artist = Artist.objects.filter(name__iexact=name).first() or Artist.objects.create(name=name)
        if artist.pk not in wanted:
            wanted.append(artist.pk)
    current = list(track.track_artists.order_by("position").values_list("artist_id", flat=True))
    if current == wanted:
        return
    TrackArtist.objects.filter(track=track).delete()
    TrackArtist.objects.bulk_create(
        [
            TrackArtist(track=track, artist_id=artist_id, position=index)
            for index, artist_id in enumerate(wanted)
        ]
    )
