"""A listener's hand edits to one track of a playlist: remove, move up/down, replace, add (by
search), and "more like this". Each edit makes a new ready version — the versions a generation
makes, with the same history and diffs — copied from the latest ready one with the one change.

Replacements and "more like this" come from the catalog's text-embedding neighbours of the
track, leaving out what is already in the playlist, what the listener disliked or excluded, and
what curators blocked (everywhere or for the prompt's theme).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from catalog.models import Track, TrackArtist
from catalog.search import SearchFilters, track_vector_search
from catalog.subsonic_services import subsonic_pushes_follow
from config.errors import ApplicationError
from feedback.models import TasteExclusion
from feedback.selectors import disliked_tracks
from playlists import providers
from playlists.models import Playlist, PlaylistItem, PlaylistVersion, VersionCause, VersionStatus

MORE_LIKE_THIS_COUNT = 3
SEARCH_RESULTS = 8
EDITED_REASON = "added by you"


class TrackEdit(StrEnum):
    REMOVE = "remove"
    UP = "up"
    DOWN = "down"
    MOVE = "move"  # to the position ``to`` (drag and drop)
    REPLACE = "replace"
    MORE = "more"
    ADD = "add"


@dataclass(frozen=True)
class _Row:
    track_id: int
    title: str
    score: float
    components: dict
    reasons: list


def _latest_ready(playlist: Playlist) -> PlaylistVersion:
    latest = playlist.versions.order_by("-number").first()
    if latest is None or latest.status != VersionStatus.READY:
        if latest is not None and not latest.is_finished:
            raise ApplicationError("A new version is being made; edit tracks once it is ready.")
        raise ApplicationError("This playlist has no finished version to edit yet.")
    return latest


def _rows(version: PlaylistVersion) -> list[_Row]:
    return [
        _Row(item.track_id, item.track.title, item.score, dict(item.components), list(item.reasons))
        for item in version.items.select_related("track").order_by("position")
    ]


def _index_of(rows: Sequence[_Row], position: int) -> int:
    if not 1 <= position <= len(rows):
        raise ApplicationError(f"There is no track at position {position}.")
    return position - 1


def _left_out(playlist: Playlist, in_playlist: set[int]) -> set[int]:
    """Tracks a new pick must not be: in the playlist, disliked/excluded, blocked by curators."""
    user = playlist.owner
    excluded = set(in_playlist) | set(disliked_tracks(user=user))
    excluded_artists: set[int] = set()
    for track_id, artist_id in TasteExclusion.objects.filter(user=user).values_list("track_id", "artist_id"):
        if track_id:
            excluded.add(track_id)
        if artist_id:
            excluded_artists.add(artist_id)
    # The curator rules that apply to this playlist's prompt (global and theme blocks), read
    # through the hook the desk registers (playlists sits below editorial).
    rules = providers.rules_choose(prompt=playlist.prompt).rules
    if rules is not None:
        excluded |= rules.blocked_track_ids
        excluded_artists |= rules.blocked_artist_ids
    if excluded_artists:
        excluded |= set(
            TrackArtist.objects.filter(artist_id__in=excluded_artists).values_list("track_id", flat=True)
        )
    return excluded


def similar_tracks(*, playlist: Playlist, track_id: int, exclude: set[int], count: int) -> list[Track]:
    """The catalog tracks nearest to ``track_id`` (text embedding) a listener may be offered."""
    anchor = Track.objects.filter(pk=track_id).values_list("embedding", flat=True).first()
    left_out = _left_out(playlist, exclude | {track_id})
    if anchor is not None:
        # The catalog's vector search, which returns k rows whenever k pass the filter (a plain
        # index scan under a filter can come back empty).
        hits = track_vector_search(
            query_vector=np.asarray(anchor, dtype=np.float32),
            k=count,
            filters=SearchFilters(exclude_ids=sorted(left_out)),
        )
        found = Track.objects.in_bulk([hit.track_id for hit in hits])
        return [found[hit.track_id] for hit in hits if hit.track_id in found]
    # No embedding yet: same artist first, then the catalog's order.
    artists = TrackArtist.objects.filter(track_id=track_id).values_list("artist_id", flat=True)
    candidates = Track.objects.exclude(pk__in=left_out).filter(track_artists__artist_id__in=list(artists))
    return list(candidates.order_by("pk")[:count])


def track_search(*, playlist: Playlist, query: str, limit: int = SEARCH_RESULTS) -> list[Track]:
    """Catalog tracks whose title, album or artist holds every word of ``query``, to add."""
    words = query.split()[:6]
    if not words:
        return []
    tracks = Track.objects.all()
    for word in words:
        tracks = tracks.filter(
            Q(title__icontains=word)
            | Q(album__icontains=word)
            | Q(track_artists__artist__name__icontains=word)
        )
    latest = playlist.versions.filter(status=VersionStatus.READY).order_by("-number").first()
    in_playlist = set(latest.items.values_list("track_id", flat=True)) if latest else set()
    return list(
        tracks.exclude(pk__in=in_playlist)
        .distinct()
        .prefetch_related("track_artists__artist")
        .order_by("title", "pk")[:limit]
    )


@transaction.atomic
def playlist_track_edit(
    *,
    playlist: Playlist,
    edit: str,
    position: int | None = None,
    track_id: int | None = None,
    to: int | None = None,
) -> PlaylistVersion:
    """Apply one edit to the latest ready version as a new version; returns that version."""
    playlist = Playlist.objects.select_for_update().get(pk=playlist.pk)
    try:
        kind = TrackEdit(edit)
    except ValueError:
        raise ApplicationError(f"Unknown track edit “{edit}”.") from None
    latest = _latest_ready(playlist)
    rows = _rows(latest)
    in_playlist = {row.track_id for row in rows}
    if kind == TrackEdit.ADD:
        if track_id is None:
            raise ApplicationError("Pick a track to add.")
        track = Track.objects.exclude(pk__in=_left_out(playlist, in_playlist)).filter(pk=track_id).first()
        if track is None:
            raise ApplicationError("That track cannot be added: it is already here, or left out for you.")
        rows.append(_Row(track.pk, track.title, 0.0, {}, [EDITED_REASON]))
        summary = f"Added “{track.title}”"
    else:
        if position is None:
            raise ApplicationError("Say which track to change.")
        index = _index_of(rows, position)
        row = rows[index]
        if kind == TrackEdit.REMOVE:
            if len(rows) == 1:
                raise ApplicationError("A playlist keeps at least one track.")
            del rows[index]
            summary = f"Removed “{row.title}”"
        elif kind == TrackEdit.MOVE:
            if to is None or not 1 <= to <= len(rows):
                raise ApplicationError(f"Say where to move “{row.title}”: a position from 1 to {len(rows)}.")
            if to == position:
                raise ApplicationError(f"“{row.title}” is already at {to}.")
            rows.insert(to - 1, rows.pop(index))
            summary = f"Moved “{row.title}” to {to}"
        elif kind in (TrackEdit.UP, TrackEdit.DOWN):
            target = index - 1 if kind == TrackEdit.UP else index + 1
            if not 0 <= target < len(rows):
                raise ApplicationError(f"“{row.title}” is already at the {'top' if target < 0 else 'end'}.")
            rows[index], rows[target] = rows[target], rows[index]
            summary = f"Moved “{row.title}” {kind.value} to {target + 1}"
        elif kind == TrackEdit.REPLACE:
            picks = similar_tracks(playlist=playlist, track_id=row.track_id, exclude=in_playlist, count=1)
            if not picks:
                raise ApplicationError(f"No other track fits in place of “{row.title}”.")
            pick = picks[0]
            rows[index] = _Row(pick.pk, pick.title, row.score, {}, [f"in place of {row.title}"])
            summary = f"Replaced “{row.title}” with “{pick.title}”"
        else:
            picks = similar_tracks(
                playlist=playlist, track_id=row.track_id, exclude=in_playlist, count=MORE_LIKE_THIS_COUNT
            )
            if not picks:
                raise ApplicationError(f"No more tracks like “{row.title}” to add.")
            rows[index + 1 : index + 1] = [
                _Row(pick.pk, pick.title, row.score, {}, [f"like {row.title}"]) for pick in picks
            ]
            summary = f"Added {len(picks)} like “{row.title}”"
    return _version_store(playlist, latest, rows, summary)


def _version_store(
    playlist: Playlist, latest: PlaylistVersion, rows: Sequence[_Row], summary: str
) -> PlaylistVersion:
    now = timezone.now()
    number = (playlist.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = PlaylistVersion.objects.create(
        playlist=playlist,
        number=number,
        cause=VersionCause.EDIT,
        change=summary,
        intent=dict(latest.intent),
        status=VersionStatus.READY,
        weights=dict(latest.weights),
        policy=latest.policy,
        relaxed=list(latest.relaxed),
        personalized=latest.personalized,
        started_at=now,
        finished_at=now,
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            version=version,
            position=index + 1,
            track_id=row.track_id,
            score=row.score,
            components=row.components,
            reasons=row.reasons,
        )
        for index, row in enumerate(rows)
    )
    playlist.save(update_fields=["updated_at"])
    subsonic_pushes_follow(
        user_id=playlist.owner_id,
        playlist_id=playlist.pk,
        name=playlist.name,
        version_number=version.number,
        track_ids=[row.track_id for row in rows],
    )
    return version
