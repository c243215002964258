"""Scheduled refreshes made visible (issue 19): a small notice on the listener's home page
("Your “Monday mix” was refreshed: 12 new tracks") until dismissed, and each playlist's refresh
history. A dismissal is kept on the refreshed version itself, so it holds on every device."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from playlists.models import Playlist, PlaylistVersion, VersionCause, VersionStatus
from playlists.page_context import version_diffs

# A refresh's notice shows this long after it finished, unless dismissed sooner.
NOTICE_DAYS = 14
NOTICES_SHOWN = 5


@dataclass(frozen=True)
class RefreshNotice:
    playlist: Playlist
    version: PlaylistVersion
    new_tracks: int

    @property
    def text(self) -> str:
        tracks = f"{self.new_tracks} new track{'s' if self.new_tracks != 1 else ''}"
        return f"Your “{self.playlist.name}” was refreshed: {tracks}."


def _undismissed_refreshes(*, user: User, now: datetime) -> QuerySet[PlaylistVersion]:
    return PlaylistVersion.objects.filter(
        playlist__owner=user,
        cause=VersionCause.REFRESH,
        status=VersionStatus.READY,
        notice_dismissed_at__isnull=True,
        finished_at__gt=now - timedelta(days=NOTICE_DAYS),
    )


def refresh_notices(*, user: User, now: datetime | None = None) -> list[RefreshNotice]:
    """The listener's refreshes of the last NOTICE_DAYS not yet dismissed (newest first)."""
    versions = (
        _undismissed_refreshes(user=user, now=now or timezone.now())
        .select_related("playlist")
        .order_by("-finished_at")[:NOTICES_SHOWN]
    )
    notices = []
    for version in versions:
        diff = version_diffs(playlist=version.playlist).get(version.number)
        notices.append(
            RefreshNotice(
                playlist=version.playlist, version=version, new_tracks=len(diff.added) if diff else 0
            )
        )
    return notices


def refresh_notices_dismiss(*, user: User, now: datetime | None = None) -> int:
    """Dismiss every notice the listener has (on the versions, for all their devices); returns
    how many."""
    now = now or timezone.now()
    return _undismissed_refreshes(user=user, now=now).update(notice_dismissed_at=now)


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
