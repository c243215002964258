"""Staff fixes to catalog metadata (tracks, artists, tags), each recorded in the audit log.

The audit log belongs to the editorial app, which sits above the catalog: it registers its
writer here (``register_edit_recorder``), so the catalog never imports it. A recorder is called
as ``recorder(actor=, action=, target=, summary=, before=, after=)`` inside the edit's
transaction, so an edit and its entry are committed together or not at all.

A changed title, album, year, artist credit, tag or artist/tag name changes the text the track
is embedded from: the affected tracks' documents are rebuilt and, when one changed, the worker
is asked to embed them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model

from accounts.models import User
from catalog.embedding_services import embedding_queue
from catalog.models import Artist, Tag, Track, TrackArtist, TrackTag
from catalog.services import track_documents_refresh

EditRecorder = Callable[..., Any]

# What a staff member may fix on a track, and what the audit entry shows of it.
TRACK_FIELDS = (
    "title",
    "album",
    "release_year",
    "duration_ms",
    "popularity",
    "explicit",
    "isrc",
    "musicbrainz_recording_id",
    "spotify_uri",
    "audio_url",
)

_recorders: list[EditRecorder] = []


def register_edit_recorder(recorder: EditRecorder) -> None:
    if recorder not in _recorders:
        _recorders.append(recorder)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def track_snapshot(track: Track) -> dict[str, Any]:
    """The track's editable metadata with its artist credits (in order) and tags, by name."""
    picture = {name: _json_safe(getattr(track, name)) for name in TRACK_FIELDS}
    if track.pk is None:
        return {**picture, "artists": [], "tags": []}
    picture["artists"] = list(
        TrackArtist.objects.filter(track=track)
        .order_by("position", "pk")
        .values_list("artist__name", flat=True)
    )
    picture["tags"] = sorted(TrackTag.objects.filter(track=track).values_list("tag__name", flat=True))
    return picture


def artist_snapshot(artist: Artist) -> dict[str, Any]:
    return {"name": artist.name}


def tag_snapshot(tag: Tag) -> dict[str, Any]:
    return {"name": tag.name, "kind": tag.kind}


def _record(
    *,
    actor: User,
    action: str,
    target: Model,
    summary: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    for recorder in _recorders:
        recorder(actor=actor, action=action, target=target, summary=summary, before=before, after=after)


def _refresh_documents(track_ids: Iterable[int]) -> None:
    if track_documents_refresh(track_ids=list(track_ids)):
        embedding_queue()


def _edit_record(
    *,
    actor: User,
    kind: str,
    target: Track | Artist | Tag,
    summary: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    track_ids: Iterable[int],
) -> bool:
    """Record one staff edit and rebuild the documents of the tracks it touches; an unchanged
    save (``before == after``) records nothing. ``before`` None: the object was created."""
    if before == after:
        return False
    _refresh_documents(track_ids)
    action = f"{kind}.update" if before is not None else f"{kind}.create"
    _record(actor=actor, action=action, target=target, summary=summary, before=before, after=after)
    return True


@transaction.atomic
def track_edit_record(*, actor: User, track: Track, before: dict[str, Any] | None) -> bool:
    """After a staff edit of ``track`` (fields, credits and tags saved): its embedding document
    is rebuilt and the change recorded. Returns whether anything changed."""
    return _edit_record(
        actor=actor,
        kind="track",
        target=track,
        summary=track.title,
        before=before,
        after=track_snapshot(track),
        track_ids=[track.pk],
    )


@transaction.atomic
def artist_edit_record(*, actor: User, artist: Artist, before: dict[str, Any] | None) -> bool:
    """After a staff edit of ``artist``: its tracks' documents follow a new name; the change is recorded."""
    return _edit_record(
        actor=actor,
        kind="artist",
        target=artist,
        summary=artist.name,
        before=before,
        after=artist_snapshot(artist),
        track_ids=TrackArtist.objects.filter(artist=artist).values_list("track_id", flat=True),
    )


@transaction.atomic
def tag_edit_record(*, actor: User, tag: Tag, before: dict[str, Any] | None) -> bool:
    """After a staff edit of ``tag``: its tracks' documents follow a new name; the change is recorded."""
    return _edit_record(
        actor=actor,
        kind="tag",
        target=tag,
        summary=tag.name,
        before=before,
        after=tag_snapshot(tag),
        track_ids=TrackTag.objects.filter(tag=tag).values_list("track_id", flat=True),
    )
