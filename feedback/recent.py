"""What the listener did lately, in words: the taste page's "Recently" list (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch

from accounts.models import User
from catalog.models import Artist
from feedback.models import EventKind, ListeningEvent

# Progress and play-start events only say "still listening": the list shows what ended a listen
# (played to the end, skipped) and what the listener said (like, dislike, save, remove, replay).
SHOWN_KINDS = (
    EventKind.COMPLETE,
    EventKind.SKIP,
    EventKind.LIKE,
    EventKind.DISLIKE,
    EventKind.SAVE,
    EventKind.REMOVE,
    EventKind.REPLAY,
)
RECENT_LIMIT = 20


@dataclass(frozen=True)
class RecentListen:
    track_title: str
    artists: str
    kind: str
    what: str
    occurred_at: datetime


def _clock(ms: int | None) -> str:
    seconds = (ms or 0) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def _in_words(event: ListeningEvent) -> str:
    if event.kind == EventKind.SKIP:
        heard = f" after {_clock(event.ms_played)} heard" if event.ms_played is not None else ""
        where = f"Skipped at {_clock(event.position_ms)}" if event.position_ms is not None else "Skipped"
        return where + heard
    if event.kind == EventKind.COMPLETE:
        return "Played to the end"
    return str(EventKind(event.kind).label)


def recent_listening(*, user: User, limit: int = RECENT_LIMIT) -> list[RecentListen]:
    """The listener's latest completes, skips and verdicts, newest first."""
    events = (
        ListeningEvent.objects.filter(user=user, kind__in=SHOWN_KINDS)
        .select_related("track")
        # Only what the list shows: the track's vectors and document stay in the database.
        .only("kind", "position_ms", "ms_played", "occurred_at", "track__id", "track__title")
        .prefetch_related(Prefetch("track__artists", queryset=Artist.objects.only("name")))
        .order_by("-occurred_at", "-id")[:limit]
    )
    return [
        RecentListen(
            track_title=event.track.title,
            artists=", ".join(artist.name for artist in event.track.artists.all()),
            kind=event.kind,
            what=_in_words(event),
            occurred_at=event.occurred_at,
        )
        for event in events
    ]
