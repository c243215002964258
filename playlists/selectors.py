"""Reads of playlists, always scoped to the requesting listener: another's playlist is a 404."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import BadRequest
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from catalog.models import LibrarySourceKind, MediaFile, TrackArtist
from config.errors import ApplicationError
from playlists.exporting import AudioLocations, ExportFormat, ExportPlaylist, ExportTrack
from playlists.models import Playlist, PlaylistItem, PlaylistVersion, VersionStatus


def playlist_list(*, user: User) -> QuerySet[Playlist]:
    return (
        Playlist.objects.filter(owner=user)
        .order_by("-updated_at", "-id")
        .annotate(
            version_count=Count("versions"),
            ready_count=Count("versions", filter=Q(versions__status=VersionStatus.READY)),
        )
    )


def playlist_get(*, user: User, playlist_id: int) -> Playlist:
    return get_object_or_404(Playlist.objects.filter(owner=user), pk=playlist_id)


def version_list(*, playlist: Playlist) -> list[PlaylistVersion]:
    return list(playlist.versions.order_by("-number"))


def version_get(*, playlist: Playlist, number: int | None = None) -> PlaylistVersion | None:
    """Version ``number``, or the one to show: the newest ready one, else the newest of all."""
    versions = playlist.versions.all()
    if number is not None:
        version = versions.filter(number=number).first()
        if version is None:
            raise Http404("This playlist has no such version.")
        return version
    return versions.filter(status=VersionStatus.READY).order_by("-number").first() or versions.first()


VERSION_PARAM = re.compile(r"[0-9]{1,9}")


def version_number_param(params: Mapping[str, str]) -> int | None:
    """The ``?version=N`` of a page or API request (None when absent or empty).

    Anything but 1 to 9 ASCII digits is a BadRequest (400): ``str.isdigit`` accepts "²" and
    5,000-digit strings, which ``int()`` or the database would refuse with a server error.
    """
    number = params.get("version", "").strip()
    if not number:
        return None
    if not VERSION_PARAM.fullmatch(number):
        raise BadRequest("?version= must be a version number (1, 2, 3…).")
    return int(number)


def version_latest(*, playlist: Playlist) -> PlaylistVersion | None:
    return playlist.versions.order_by("-number").first()


def version_items(*, version: PlaylistVersion) -> list[PlaylistItem]:
    return list(
        version.items.select_related("track").prefetch_related(
            Prefetch(
                "track__track_artists",
                queryset=TrackArtist.objects.select_related("artist").order_by("position"),
            ),
            "track__tags",
        )
    )


@dataclass(frozen=True)
class VersionChange:
    version: PlaylistVersion
    added: int
    removed: int
    added_titles: list[str]
    removed_titles: list[str]


def version_changes(*, playlist: Playlist, titles_shown: int = 5) -> list[VersionChange]:
    """Each version with what it added and removed against the ready version before it."""
    versions = list(playlist.versions.order_by("number"))
    rows = PlaylistItem.objects.filter(version__playlist=playlist).values_list(
        "version_id", "track_id", "track__title"
    )
    tracks_of: dict[int, dict[int, str]] = {}
    for version_id, track_id, title in rows:
        tracks_of.setdefault(version_id, {})[track_id] = title
    changes = []
    previous: dict[int, str] = {}
    for version in versions:
        if version.status != VersionStatus.READY:
            changes.append(
                VersionChange(version=version, added=0, removed=0, added_titles=[], removed_titles=[])
            )
            continue
        current = tracks_of.get(version.pk, {})
        added = [title for track_id, title in current.items() if track_id not in previous]
        removed = [title for track_id, title in previous.items() if track_id not in current]
        changes.append(
            VersionChange(
                version=version,
                added=len(added),
                removed=len(removed),
                added_titles=added[:titles_shown],
                removed_titles=removed[:titles_shown],
            )
        )
        previous = current
    return list(reversed(changes))


def playlist_export(
    *,
    playlist: Playlist,
    version: PlaylistVersion | None,
    kind: ExportFormat,
    url: str,
    locations: AudioLocations = AudioLocations.STREAM,
    stream_url_for: Callable[[int], str] | None = None,
) -> str:
    """The version's tracks as a playlist file; an ApplicationError while none is ready.

    A track with a present media file is located by ``stream_url_for(track_id)`` (a signed,
    absolute URL) or, with ``AudioLocations.RELATIVE``, by its path under its folder's root.
    """
    if version is None or version.status != VersionStatus.READY:
        raise ApplicationError("This playlist has no finished version to export yet.")
    items = version_items(version=version)
    relative = locations == AudioLocations.RELATIVE
    paths = _present_media_paths(track_ids=[item.track_id for item in items], folders_only=relative)

    def own_audio(track_id: int) -> dict[str, str]:
        if track_id not in paths:
            return {}
        if relative:
            return {"file_path": paths[track_id]}
        return {"stream_url": stream_url_for(track_id)} if stream_url_for else {}

    tracks = [
        ExportTrack(
            title=item.track.title,
            artists=tuple(link.artist.name for link in item.track.track_artists.all()),
            album=item.track.album,
            duration_ms=item.track.duration_ms,
            audio_url=item.track.audio_url,
            spotify_uri=item.track.spotify_uri,
            isrc=item.track.isrc,
            musicbrainz_recording_id=str(item.track.musicbrainz_recording_id or ""),
            annotation="; ".join(item.reasons),
            **own_audio(item.track_id),
        )
        for item in items
    ]
    return kind.render(
        ExportPlaylist(
            title=playlist.name,
            annotation=f"Made by Segue from the prompt “{playlist.prompt}” (version {version.number}).",
            created_at=version.finished_at or version.created_at,
            url=url,
            tracks=tracks,
        )
    )


def _present_media_paths(*, track_ids: list[int], folders_only: bool) -> dict[int, str]:
    """Each track's first media file still on disk (its path relative to its source's root)."""
    files = MediaFile.objects.filter(track_id__in=track_ids, removed_at__isnull=True)
    if folders_only:
        files = files.filter(source__kind=LibrarySourceKind.FOLDER)
    paths: dict[int, str] = {}
    for track_id, path in files.order_by("track_id", "source_id", "path").values_list("track_id", "path"):
        paths.setdefault(track_id, path)
    return paths
