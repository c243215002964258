"""A dislike given on the playlist page, and its undo (issue 19). Both go through the feedback
app's services: the dislike is one listening event ingested like any other (affinity, bandit,
CF vector), and the undo reverses what that event did (``feedback.services.dislike_undo``)."""

from __future__ import annotations

import uuid

from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError
from feedback.ingestion import events_ingest
from feedback.models import EventKind
from feedback.services import dislike_undo
from playlists.models import Playlist, PlaylistItem, VersionStatus


def playlist_item_find(
    *, playlist: Playlist, version_number: int | None, track_id: int | None
) -> PlaylistItem:
    """The track's row in a ready version of the playlist, or an ApplicationError saying what is
    missing."""
    if version_number is None or track_id is None:
        raise ApplicationError("Say which track of which version.")
    item = (
        PlaylistItem.objects.select_related("track", "version")
        .filter(
            version__playlist=playlist,
            version__number=version_number,
            version__status=VersionStatus.READY,
            track_id=track_id,
        )
        .first()
    )
    if item is None:
        raise ApplicationError(f"Track {track_id} is not in version {version_number} of this playlist.")
    return item


def track_dislike(*, user: User, item: PlaylistItem) -> None:
    """The listener dislikes a track of their playlist: never suggested again, until undone.
    Without the listening-history consent: ConsentRequired."""
    now = timezone.now()
    result = events_ingest(
        user=user,
        events=[
            {
                "id": str(uuid.uuid4()),
                "kind": EventKind.DISLIKE.value,
                "track": item.track_id,
                "playlist": item.version.playlist_id,
                "version": item.version.number,
                "position": item.position,
                "occurred_at": now.isoformat(),
                "device": "web",
            }
        ],
        now=now,
        scrobble=False,
    )
    if result.errors:
        raise ApplicationError(result.errors[0].message)


def track_dislike_undo(*, user: User, track_id: int) -> int:
    """Take back the listener's dislike of a track; returns how many dislikes were undone."""
    return dislike_undo(user=user, track_id=track_id)
