"""Syncing a Subsonic source's library: a ``LibraryScan`` that lists the server's albums
(getAlbumList2, paged) and reads them one by one (getAlbum).

An album's songs commit together, so a sync that stops (the server went away, a cancel, a lost
worker) resumes after the last album it committed. A song is a ``MediaFile`` whose ``path`` is the
server's song id and whose ``content_hash`` is a fingerprint of what the server says about it (a
change updates the row and its track). Songs join catalog tracks by the same rule as folder files
(``catalog.sources``): MusicBrainz id, ISRC, then artist + title + duration.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.embedding_services import embedding_queue
from catalog.library.tags import FileTags, cover_thumbnail
from catalog.models import (
    LibraryScan,
    LibrarySource,
    LibrarySourceKind,
    MediaFile,
    SubsonicAccount,
)
from catalog.services import track_documents_refresh
from catalog.sources import (
    ScanCancelled,
    library_scan_failure_add,
    library_scan_finish,
    library_scan_open,
    library_scan_progress,
    library_scan_succeed,
)
from catalog.subsonic.client import SubsonicAuthError, SubsonicClient, SubsonicError, SubsonicNotFound
from catalog.subsonic.mapping import Song, song_from_child
from catalog.subsonic_analysis import subsonic_files_analysis_queue
from catalog.subsonic_connect import account_client
from catalog.subsonic_links import subsonic_push_leftovers_retry
from catalog.track_identity import track_for_file, track_update_from_tags
from config.errors import ApplicationError
from config.jobs import JobStatus, JobTakenAway, job_claim

logger = logging.getLogger(__name__)


@transaction.atomic
def subsonic_sync_request(*, source_id: int, user: User | None = None, enqueue: bool = True) -> LibraryScan:
    """Queue a sync of a Subsonic source, or return the active one. After a failed or cancelled
    sync, the new one resumes after the last album that one committed."""
    source = LibrarySource.objects.select_for_update().filter(pk=source_id).first()
    if source is None or source.kind != LibrarySourceKind.SUBSONIC:
        raise ApplicationError("No such Subsonic library.")
    return library_scan_open(source=source, user=user, enqueue=_sync_enqueue if enqueue else None)


def _sync_enqueue(scan_id: int) -> None:
    from catalog.tasks import sync_subsonic_source

    sync_subsonic_source.delay_on_commit(scan_id=scan_id)  # type: ignore[attr-defined]


def subsonic_sources_sync_all() -> int:
    """Beat: queue a resync of every Subsonic source; returns how many were queued."""
    count = 0
    for source_id in LibrarySource.objects.filter(kind=LibrarySourceKind.SUBSONIC).values_list(
        "pk", flat=True
    ):
        subsonic_sync_request(source_id=source_id)
        count += 1
    return count


def _resume_point(resume_after: str, scan_id: int) -> tuple[int, int]:
    """(albums already committed, the scan id the chain of resumed syncs started at)."""
    if resume_after and "|" in resume_after:
        done, chain = resume_after.split("|", 1)
        try:
            return int(done), int(chain)
        except ValueError:
            pass
    return 0, scan_id


SyncProgressCallback = Callable[[LibraryScan], None]


def subsonic_sync_run(
    *, scan_id: int, analyse: bool = True, on_progress: SyncProgressCallback | None = None
) -> LibraryScan | None:
    """Run a queued sync; returns it finished, or None when it was not queued (idempotent).

    Not one transaction: each album commits on its own with the progress (``resume_after`` is
    "<albums done>|<first scan of the chain>"). A failed sync keeps what it committed.
    Resuming counts albums in the server's alphabetical order: albums added or removed on the
    server between the stop and the resume may shift it, so a few may be read twice or left for
    the next sync (which starts from the first album and puts every song right again).
    """
    if not job_claim(LibraryScan, pk=scan_id, heartbeat_at=timezone.now()):
        return None
    scan = LibraryScan.objects.select_related("source").get(pk=scan_id)
    account = SubsonicAccount.objects.filter(source_id=scan.source_id).select_related("source").first()
    if account is None:
        return library_scan_finish(scan, status=JobStatus.FAILED, error="This library has no server account.")
    done, chain_start = _resume_point(scan.resume_after, scan.pk)
    scan.resume_after = f"{done}|{chain_start}"
    try:
        with account_client(account) as client:
            client.ping()
            albums = [album for _, album in client.albums(page_size=settings.SUBSONIC_PAGE_SIZE)]
            scan.files_total = sum(int(album.get("songCount") or 0) for album in albums)
            library_scan_progress(scan)
            covers: dict[str, bytes | None] = {}
            for index in range(done, len(albums)):
                _sync_album(scan, client, albums[index], covers)
                scan.resume_after = f"{index + 1}|{chain_start}"
                library_scan_progress(scan)
                if on_progress is not None:
                    on_progress(scan)
            # Playlists erased listeners left on this server: tried again with the staff account.
            subsonic_push_leftovers_retry(source=scan.source, client=client)
        scan.files_removed = _mark_removed(scan, chain_start=chain_start)
    except ScanCancelled:
        return library_scan_finish(scan, status=JobStatus.CANCELLED)
    except JobTakenAway:
        logger.warning("Subsonic sync %s was marked failed while running; stopping", scan.pk)
        return LibraryScan.objects.filter(pk=scan.pk).first()
    except SubsonicAuthError as exc:
        return library_scan_finish(scan, status=JobStatus.FAILED, error=exc.message)
    except SubsonicError as exc:
        return library_scan_finish(
            scan, status=JobStatus.FAILED, error=f"{exc.message} A resync resumes after the last album read."
        )
    except ApplicationError as exc:
        return library_scan_finish(scan, status=JobStatus.FAILED, error=exc.message)
    except SoftTimeLimitExceeded:
        library_scan_finish(
            scan, status=JobStatus.FAILED, error="The sync ran past its time limit; a resync resumes."
        )
        raise
    except Exception as exc:
        library_scan_finish(scan, status=JobStatus.FAILED, error=f"Internal error: {type(exc).__name__}")
        raise
    library_scan_succeed(scan, queue_analysis=subsonic_files_analysis_queue if analyse else None)
    return scan


def _sync_album(
    scan: LibraryScan, client: SubsonicClient, album_summary: dict, covers: dict[str, bytes | None]
) -> None:
    album_id = str(album_summary.get("id", ""))
    try:
        album = client.album(album_id)
    except SubsonicNotFound:
        # Removed from the server while we were syncing: its songs are marked at the end.
        library_scan_failure_add(
            scan, f"album {album_summary.get('name', album_id)}", "gone from the server during the sync"
        )
        return
    songs = [
        song for song in (song_from_child(child) for child in album.get("song") or []) if song is not None
    ]
    cover_id = str(album.get("coverArt") or "")
    cover = None
    if cover_id:
        if cover_id not in covers:
            covers[cover_id] = cover_thumbnail(client.cover_art(cover_id))
        cover = covers[cover_id]
    documents_changed = 0
    with transaction.atomic():
        for song in songs:
            documents_changed += _song_write(
                scan, song, cover=cover, album_artist=str(album.get("artist") or "")
            )
    if documents_changed:
        embedding_queue()


def _song_write(scan: LibraryScan, song: Song, *, cover: bytes | None, album_artist: str) -> int:
    scan.files_seen += 1
    existing = (
        MediaFile.objects.filter(source_id=scan.source_id, path=song.song_id).select_related("track").first()
    )
    if existing is not None and existing.removed_at is None and existing.content_hash == song.fingerprint:
        MediaFile.objects.filter(pk=existing.pk).update(last_seen_scan=scan.pk)
        scan.files_unchanged += 1
        return 0
    tags = FileTags(
        title=song.title,
        artists=song.artists,
        album=song.album,
        album_artist=album_artist,
        track_number=song.track_number,
        disc_number=song.disc_number,
        year=song.year,
        genres=song.genres,
        duration_ms=song.duration_ms,
        bitrate=song.bitrate,
        musicbrainz_recording_id=song.musicbrainz_recording_id,
        isrc=song.isrc,
        audio_format=song.suffix,
        content_type=song.content_type,
    )
    identity = hashlib.sha256(f"subsonic|{scan.source.base_url}|{song.song_id}".encode()).hexdigest()
    if existing is not None:
        media_file = existing
        track = existing.track
        scan.files_changed += 1
    else:
        track = track_for_file(tags, identity)
        media_file = MediaFile(source_id=scan.source_id, track=track, path=song.song_id)
        scan.files_new += 1
    track_update_from_tags(track, tags)
    media_file.size = song.size
    media_file.mtime = 0.0
    content_changed = media_file.content_hash != song.fingerprint
    media_file.content_hash = song.fingerprint
    media_file.audio_format = song.suffix
    media_file.content_type = song.content_type
    media_file.duration_ms = song.duration_ms
    media_file.bitrate = song.bitrate
    media_file.musicbrainz_release_id = None
    media_file.album_artist = album_artist[:500]
    media_file.track_number = song.track_number
    media_file.disc_number = song.disc_number
    media_file.cover = cover
    media_file.removed_at = None
    media_file.last_seen_scan = scan.pk
    if content_changed:
        media_file.analysed_at = None
        media_file.analysis_error = ""
    media_file.save()
    return track_documents_refresh(track_ids=[track.pk])


def _mark_removed(scan: LibraryScan, *, chain_start: int) -> int:
    """Songs no sync of this chain found are gone from the server: they leave new playlists."""
    missing = MediaFile.objects.filter(source_id=scan.source_id, removed_at__isnull=True).exclude(
        last_seen_scan__gte=chain_start
    )
    return missing.update(removed_at=timezone.now())
