"""What "Regenerate" leaves out so it brings fresh tracks that still fit (issue 19).

Without it the engine, given the same Intent and the same listener, makes the same list again.
A regenerated version keeps the better-fitting part of the version before it and leaves out the
rest, so the engine fills those places with the next-best tracks it has.
"""

from __future__ import annotations

import math

from playlists.models import PlaylistVersion, VersionCause, VersionStatus

# The share of the previous version's tracks (its lowest-scored) a regeneration replaces.
REGENERATE_FRESH_SHARE = 0.5


def regenerate_left_out(version: PlaylistVersion) -> frozenset[int]:
    """For a regeneration: the previous ready version's lowest-scored tracks; else nothing."""
    if version.cause != VersionCause.REGENERATE:
        return frozenset()
    previous = (
        PlaylistVersion.objects.filter(
            playlist_id=version.playlist_id, status=VersionStatus.READY, number__lt=version.number
        )
        .order_by("-number")
        .first()
    )
    if previous is None:
        return frozenset()
    ranked = list(previous.items.order_by("-score", "position").values_list("track_id", flat=True))
    keep = math.ceil(len(ranked) * (1 - REGENERATE_FRESH_SHARE))
    return frozenset(ranked[keep:])
