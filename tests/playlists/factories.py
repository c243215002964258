"""Playlists in given states, made directly (no generation): for pages, API, export and history."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from accounts.models import User
from catalog.models import Track
from playlists.models import Playlist, PlaylistItem, PlaylistVersion, VersionCause, VersionStatus


def playlist_make(*, owner: User, prompt: str = "relaxing evening jazz", **fields: object) -> Playlist:
    fields.setdefault("name", prompt.capitalize())
    return Playlist.objects.create(owner=owner, prompt=prompt, **fields)


def version_make(
    playlist: Playlist,
    *,
    tracks: Sequence[Track] = (),
    status: str = VersionStatus.READY,
    cause: str = VersionCause.PROMPT,
    intent: dict | None = None,
    **fields: object,
) -> PlaylistVersion:
    number = playlist.versions.count() + 1
    finished = status in (VersionStatus.READY, VersionStatus.FAILED)
    version = PlaylistVersion.objects.create(
        playlist=playlist,
        number=number,
        cause=cause,
        status=status,
        intent=intent if intent is not None else {"semantic_text": playlist.prompt},
        stage_seconds={"parse": 0.004, "candidates": 0.01} if finished else {},
        finished_at=timezone.now() if finished else None,
        **fields,
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            version=version,
            position=position,
            track=track,
            score=0.8,
            components={"semantic": 0.7},
            reasons=["matches: jazz"],
        )
        for position, track in enumerate(tracks, start=1)
    )
    if status == VersionStatus.READY:
        playlist.intent = version.intent
        playlist.save(update_fields=["intent"])
    return version
