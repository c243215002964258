"""Scheduled refreshes made visible (issue 19): a small notice on the listener's home page
("Your Monday mix was refreshed: 12 new tracks") until dismissed, and each playlist's refresh
history. Which refreshes a listener has seen is kept in their session: a notice is a courtesy,
not data worth a table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from playlists.models import Playlist, PlaylistVersion, VersionCause, VersionStatus
from playlists.page_context import playlist_title, version_diffs

SEEN_KEY = "refresh_notices_seen_at"
# A listener who never dismissed a notice sees the refreshes of the last this many days.
NOTICE_DAYS = 7
NOTICES_SHOWN = 5


@dataclass(frozen=True)
class RefreshNotice:
    playlist: Playlist
    title: str
    version: PlaylistVersion
    new_tracks: int

    @property
    def text(self) -> str:
        tracks = f"{self.new_tracks} new track{'s' if self.new_tracks != 1 else ''}"
        return f"Your “{self.title}” was refreshed: {tracks}."


def _seen_at(session: SessionBase) -> datetime:
    seen = parse_datetime(session.get(SEEN_KEY, "") or "")
    return seen or timezone.now() - timedelta(days=NOTICE_DAYS)


def refresh_notices(*, user: User, session: SessionBase) -> list[RefreshNotice]:
    """The listener's refreshed playlists since they last dismissed the notices (newest first)."""
    versions = (
        PlaylistVersion.objects.filter(
            playlist__owner=user,
            cause=VersionCause.REFRESH,
            status=VersionStatus.READY,
            finished_at__gt=_seen_at(session),
        )
        .select_related("playlist")
        .order_by("-finished_at")[:NOTICES_SHOWN]
    )
    notices = []
    for version in versions:
        diff = version_diffs(playlist=version.playlist).get(version.number)
        notices.append(
            RefreshNotice(
                playlist=version.playlist,
                title=playlist_title(version.playlist),
                version=version,
                new_tracks=len(diff.added) if diff else 0,
            )
        )
    return notices


def refresh_notices_dismiss(*, session: SessionBase) -> None:
    session[SEEN_KEY] = timezone.now().isoformat()


@dataclass(frozen=True)
class RefreshEntry:
    version: PlaylistVersion
    new_tracks: int
    left_out: int


def refresh_history(*, playlist: Playlist, limit: int = 10) -> list[RefreshEntry]:
    """The playlist's scheduled refreshes, newest first, with what each brought in and took out."""
    diffs = version_diffs(playlist=playlist)
    versions = playlist.versions.filter(cause=VersionCause.REFRESH).order_by("-number")[:limit]
    entries = []
    for version in versions:
        diff = diffs.get(version.number)
        entries.append(
            RefreshEntry(
                version=version,
                new_tracks=len(diff.added) if diff else 0,
                left_out=len(diff.removed) if diff else 0,
            )
        )
    return entries
