"""A listener's starred songs and play counts on their media server, imported as listening history.

The same rules as history files (``feedback.history_imports.history_import_stream``): only with the
listening_history consent, events with deterministic ids (importing again adds nothing), matched
to catalog tracks through the songs Segue synced from that server; unmatched songs are reported.
A starred song becomes a ``like``; a song played N times becomes N ``complete`` events (at most
SUBSONIC_PLAYS_PER_SONG) at its last play time, a second apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.consent import ConsentRequired, consent_require
from accounts.models import ConsentPurpose, User
from catalog.models import MediaFile, SubsonicLink
from catalog.subsonic.client import SubsonicError
from catalog.subsonic.mapping import Song, song_from_child
from catalog.subsonic_services import link_client
from config.errors import ApplicationError
from feedback.history_imports import HISTORY_BATCH
from feedback.ingestion import events_ingest

SUBSONIC_EVENT_NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-4c1e-9d2f-53677565a001")
SUBSONIC_PLAYS_PER_SONG = 50
# Albums with plays read per import (getAlbumList2 type=frequent, most played first).
SUBSONIC_FREQUENT_ALBUMS = 500
UNMATCHED_KEPT = 50


@dataclass
class StarImportReport:
    starred_read: int = 0
    played_songs_read: int = 0
    plays_read: int = 0
    songs_unmatched: int = 0
    events_stored: int = 0
    events_already_imported: int = 0
    unmatched: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "starred_read": self.starred_read,
            "played_songs_read": self.played_songs_read,
            "plays_read": self.plays_read,
            "songs_unmatched": self.songs_unmatched,
            "events_stored": self.events_stored,
            "events_already_imported": self.events_already_imported,
            "unmatched": self.unmatched,
        }


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return timezone.now()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def subsonic_history_import(*, user: User, link: SubsonicLink) -> StarImportReport:
    """Import the linked account's starred songs and play counts; the report is kept on the link.

    ApplicationError (nothing imported) when the server cannot be read; ConsentRequired without
    the listening_history consent. Each batch of events commits on its own.
    """
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    if link.user_id != user.pk:
        raise ApplicationError("No such link.")
    try:
        with link_client(link) as client:
            starred = [song for song in map(song_from_child, client.starred_songs()) if song is not None]
            played: dict[str, Song] = {}
            for index, album in client.albums(list_type="frequent"):
                if index >= SUBSONIC_FREQUENT_ALBUMS:
                    break
                songs = [
                    song_from_child(child) for child in client.album(str(album.get("id"))).get("song") or []
                ]
                found = [song for song in songs if song is not None and song.play_count > 0]
                if not found:
                    break  # most played first: the rest were never played
                played.update((song.song_id, song) for song in found)
    except SubsonicError as exc:
        raise ApplicationError(exc.message) from None
    report = StarImportReport(starred_read=len(starred), played_songs_read=len(played))
    song_ids = {song.song_id for song in starred} | set(played)
    tracks = dict(
        MediaFile.objects.filter(source_id=link.source_id, path__in=list(song_ids))
        .order_by("-id")
        .values_list("path", "track_id")
    )
    events: list[dict[str, Any]] = []
    unmatched: dict[str, Song] = {}
    for song in starred:
        if song.song_id not in tracks:
            unmatched[song.song_id] = song
            continue
        events.append(_event(user, "like", tracks[song.song_id], _moment(song.starred), song.song_id, 0))
    for song in played.values():
        if song.song_id not in tracks:
            unmatched[song.song_id] = song
            continue
        last = _moment(song.played) if song.played else timezone.now()
        for count in range(min(song.play_count, SUBSONIC_PLAYS_PER_SONG)):
            report.plays_read += 1
            moment = last - timedelta(seconds=count)
            events.append(_event(user, "complete", tracks[song.song_id], moment, song.song_id, count))
    report.songs_unmatched = len(unmatched)
    report.unmatched = [
        {"artist": ", ".join(song.artists), "title": song.title}
        for song in list(unmatched.values())[:UNMATCHED_KEPT]
    ]
    for start in range(0, len(events), HISTORY_BATCH):
        result = events_ingest(user=user, events=events[start : start + HISTORY_BATCH], scrobble=False)
        report.events_stored += result.stored
        report.events_already_imported += result.duplicates
    _report_store(link=link, report=report)
    return report


def _event(
    user: User, kind: str, track_id: int, moment: datetime, song_id: str, count: int
) -> dict[str, Any]:
    key = f"{user.pk}|subsonic|{kind}|{song_id}|{moment.isoformat()}|{count}"
    return {
        "id": str(uuid.uuid5(SUBSONIC_EVENT_NAMESPACE, key)),
        "kind": kind,
        "track": track_id,
        "occurred_at": min(moment, timezone.now()).isoformat(),
    }


@transaction.atomic
def _report_store(*, link: SubsonicLink, report: StarImportReport) -> None:
    SubsonicLink.objects.filter(pk=link.pk).update(
        last_import_at=timezone.now(), last_import_report=report.to_dict()
    )


def subsonic_history_reports_erase(*, user: User) -> int:
    """Purpose eraser (listening_history withdrawn, data asked gone): the star-import reports kept
    on the listener's links name songs they played. Returns how many reports were cleared."""
    return (
        SubsonicLink.objects.filter(user=user)
        .exclude(last_import_at__isnull=True, last_import_report={})
        .update(last_import_at=None, last_import_report={})
    )


def subsonic_history_import_request(*, user: User, link: SubsonicLink) -> None:
    """Queue an import of the link's starred songs and play counts (a background job); the
    report lands on the link. ConsentRequired without the listening_history consent."""
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)
    if link.user_id != user.pk:
        raise ApplicationError("No such link.")
    from feedback.tasks import import_subsonic_history

    import_subsonic_history.delay_on_commit(link_id=link.pk)  # type: ignore[attr-defined]


def subsonic_history_import_run(*, link_id: int) -> StarImportReport | None:
    """The worker's side: a link gone meanwhile is nothing to do; a failure is noted on the link."""
    link = SubsonicLink.objects.select_related("user", "source").filter(pk=link_id).first()
    if link is None:
        return None
    try:
        return subsonic_history_import(user=link.user, link=link)
    except (ApplicationError, ConsentRequired) as exc:
        message = getattr(exc, "message", None) or str(getattr(exc, "detail", exc))
        SubsonicLink.objects.filter(pk=link_id).update(last_error=f"History import: {message}"[:1000])
        return None
