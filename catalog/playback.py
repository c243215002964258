"""Which tracks can be heard, and where a track's audio file is on disk (reads only).

Every path served is resolved (symlinks and ``..`` followed) and must stay inside its source's
root: a file that resolves elsewhere is treated as missing, never opened.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse

from catalog.models import LibrarySourceKind, MediaFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Playable:
    """What the web player needs to play a track (URLs for a signed-in listener)."""

    stream_url: str
    cover_url: str  # "" without cover art
    duration_ms: int | None


def playable_tracks(*, track_ids: Iterable[int]) -> dict[int, Playable]:
    """The tracks among ``track_ids`` with a present file in a folder source or a song on a
    Subsonic server (streamed through Segue), in one query."""
    rows = (
        MediaFile.objects.filter(track_id__in=list(track_ids), removed_at__isnull=True)
        .annotate(has_cover=ExpressionWrapper(Q(cover__isnull=False), output_field=BooleanField()))
        .order_by("track_id", "-has_cover", "id")
        .values_list("track_id", "duration_ms", "has_cover")
    )
    playable: dict[int, Playable] = {}
    for track_id, duration_ms, has_cover in rows:
        if track_id in playable:
            continue
        playable[track_id] = Playable(
            stream_url=reverse("stream:track", args=[track_id]),
            cover_url=reverse("stream:cover", args=[track_id]) if has_cover else "",
            duration_ms=duration_ms,
        )
    return playable


class AudioUnavailable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LocatedAudio:
    path: Path  # resolved, inside its source's root
    size: int
    mtime: float
    content_type: str


def path_inside_root(*, root: str, relative: str) -> Path | None:
    """``relative`` under ``root`` with every link resolved; None when it leaves the root or is absent."""
    if not root or not os.path.isabs(root):
        return None
    try:
        resolved_root = Path(root).resolve(strict=True)
        resolved = (resolved_root / relative).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
        return None
    return resolved if resolved.is_relative_to(resolved_root) else None


def track_audio_locate(*, track_id: int) -> LocatedAudio:
    """The first present, regular audio file of a track; ``AudioUnavailable`` says why there is none."""
    files = list(
        MediaFile.objects.filter(
            track_id=track_id, removed_at__isnull=True, source__kind=LibrarySourceKind.FOLDER
        )
        .select_related("source")
        # Not the cover bytes or the tags: a stream start wants the path and nothing else.
        .only("path", "content_type", "source_id", "source__root")
        .order_by("id")
    )
    if not files:
        raise AudioUnavailable("This track has no audio file in any music library.")
    for media in files:
        path = path_inside_root(root=media.source.root, relative=media.path)
        if path is None:
            logger.warning(
                "stream: %r of source %s is missing or resolves outside its root", media.path, media.source_id
            )
            continue
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            continue
        content_type = media.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return LocatedAudio(path=path, size=info.st_size, mtime=info.st_mtime, content_type=content_type)
    raise AudioUnavailable(
        "The audio file of this track is missing from its music library (moved or deleted; a rescan "
        "will notice)."
    )


def track_cover_get(*, track_id: int) -> bytes | None:
    """The track's cover art thumbnail (JPEG bytes), or None."""
    cover = (
        MediaFile.objects.filter(track_id=track_id, removed_at__isnull=True, cover__isnull=False)
        .order_by("id")
        .values_list("cover", flat=True)
        .first()
    )
    return bytes(cover) if cover is not None else None
