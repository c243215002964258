"""Every write about Subsonic / OpenSubsonic sources: adding servers, syncing their library,
analysing songs through the server, listeners' links, pushed playlists and scrobbles.

A sync is a ``LibraryScan`` of a Subsonic source. It lists the server's albums (getAlbumList2,
paged), then reads them one by one (getAlbum); an album's songs commit together, so a sync that
stops (the server went away, a cancel, a lost worker) resumes after the last album it committed.
A song is a ``MediaFile`` whose ``path`` is the server's song id and whose ``content_hash`` is a
fingerprint of what the server says about it (a change updates the row and its track). Songs
join catalog tracks by the same rule as folder files (``catalog.sources``): MusicBrainz id,
ISRC, then artist + title + duration.

Server credentials are decrypted only here, to talk to the server; they never leave in an
exception message, a log line, an export or a response.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from catalog.embedding_services import embedding_queue
from catalog.library.tags import FileTags, cover_thumbnail
from catalog.media_analysis import media_file_analysis_fail, media_file_analysis_store
from catalog.models import (
    LibraryScan,
    LibrarySource,
    LibrarySourceKind,
    MediaFile,
    SubsonicAccount,
    SubsonicAuthMode,
    SubsonicLink,
    SubsonicPush,
)
from catalog.services import track_documents_refresh
from catalog.sources import ACTIVE_STATUSES, FAILURES_KEPT
from catalog.subsonic.client import (
    Credentials,
    ServerInfo,
    SubsonicAuthError,
    SubsonicClient,
    SubsonicError,
    SubsonicNotFound,
)
from catalog.subsonic.mapping import Song, song_from_child
from catalog.subsonic_secrets import Secret, secret_decrypt, secret_encrypt
from catalog.track_identity import track_for_file, track_update_from_tags
from config.errors import ApplicationError
from config.jobs import JobStatus

logger = logging.getLogger(__name__)


# --- connecting --------------------------------------------------------------------------------


def base_url_clean(base_url: str) -> str:
    cleaned = base_url.strip().rstrip("/")
    if cleaned.endswith("/rest"):
        cleaned = cleaned.removesuffix("/rest")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApplicationError("Give the server's address, e.g. https://music.example.org")
    if parts.username or parts.password or parts.query:
        raise ApplicationError(
            "Give the address without a user, password or query; they go in their own fields."
        )
    return cleaned


@sensitive_variables("password", "api_key", "secret")
def _client(base_url: str, *, username: str, secret: Secret, auth_mode: str | None = None) -> SubsonicClient:
    return SubsonicClient(
        base_url,
        Credentials(username=username, password=secret.password, api_key=secret.api_key),
        auth_mode=auth_mode,  # type: ignore[arg-type]
        timeout=settings.SUBSONIC_TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class ServerChecked:
    info: ServerInfo
    auth_mode: str


@sensitive_variables("password", "api_key", "secret")
def server_check(*, base_url: str, username: str, password: str = "", api_key: str = "") -> ServerChecked:
    """Connect and check the credentials; ApplicationError with a sentence for the page."""
    if not api_key and not (username and password):
        raise ApplicationError("Give a user name and password, or an API key.")
    with _client(base_url, username=username, secret=Secret(password=password, api_key=api_key)) as client:
        try:
            info = client.connect()
        except SubsonicError as exc:
            raise ApplicationError(exc.message) from None
        return ServerChecked(info=info, auth_mode=client.auth_mode or "password")


def account_client(account: SubsonicAccount) -> SubsonicClient:
    return _client(
        account.source.base_url,
        username=account.username,
        secret=secret_decrypt(account.credentials),
        auth_mode=account.auth_mode,
    )


def link_client(link: SubsonicLink) -> SubsonicClient:
    return _client(
        link.source.base_url,
        username=link.username,
        secret=secret_decrypt(link.credentials),
        auth_mode=link.auth_mode,
    )


# --- sources -----------------------------------------------------------------------------------


@sensitive_variables("password", "api_key", "secret")
def subsonic_source_add(
    *,
    base_url: str,
    username: str,
    password: str = "",
    api_key: str = "",
    name: str = "",
    user: User | None = None,
    sync: bool = False,
) -> LibrarySource:
    """Add a Subsonic server (checked first: reachable, credentials right) and with ``sync`` queue
    its first import. The network check runs before the transaction: nothing is written on error."""
    cleaned = base_url_clean(base_url)
    checked = server_check(base_url=cleaned, username=username.strip(), password=password, api_key=api_key)
    return _source_create(
        base_url=cleaned,
        username=username.strip(),
        secret=Secret(password=password, api_key=api_key),
        checked=checked,
        name=name,
        user=user,
        sync=sync,
    )


@sensitive_variables("password", "api_key", "secret")
@transaction.atomic
def _source_create(
    *,
    base_url: str,
    username: str,
    secret: Secret,
    checked: ServerChecked,
    name: str,
    user: User | None,
    sync: bool,
) -> LibrarySource:
    if LibrarySource.objects.filter(
        kind=LibrarySourceKind.SUBSONIC, base_url=base_url, subsonic_account__username=username
    ).exists():
        raise ApplicationError(f"{base_url} is already a library (as {username or 'this key'}).")
    info = checked.info
    source = LibrarySource.objects.create(
        kind=LibrarySourceKind.SUBSONIC,
        base_url=base_url,
        name=(name.strip() or urlsplit(base_url).netloc)[:200],
        created_by=user,
    )
    SubsonicAccount.objects.create(
        source=source,
        username=username,
        credentials=secret_encrypt(secret),
        auth_mode=checked.auth_mode,
        api_version=info.api_version[:20],
        server_type=info.server_type[:50],
        server_version=info.server_version[:50],
        open_subsonic=info.open_subsonic,
        extensions=list(info.extensions),
        checked_at=timezone.now(),
    )
    if sync:
        subsonic_sync_request(source_id=source.pk, user=user)
    return source


# --- sync --------------------------------------------------------------------------------------


@transaction.atomic
def subsonic_sync_request(*, source_id: int, user: User | None = None, enqueue: bool = True) -> LibraryScan:
    """Queue a sync of a Subsonic source, or return the active one. After a failed or cancelled
    sync, the new one resumes after the last album that one committed."""
    source = LibrarySource.objects.select_for_update().filter(pk=source_id).first()
    if source is None or source.kind != LibrarySourceKind.SUBSONIC:
        raise ApplicationError("No such Subsonic library.")
    active = source.scans.filter(status__in=ACTIVE_STATUSES).first()
    if active is not None:
        if active.status == JobStatus.QUEUED and enqueue:
            _sync_enqueue(active.pk)
        return active
    last = source.scans.order_by("-created_at", "-pk").first()
    resume_after = ""
    if last is not None and last.status in (JobStatus.CANCELLED, JobStatus.FAILED) and last.resume_after:
        resume_after = last.resume_after
    scan = LibraryScan.objects.create(source=source, requested_by=user, resume_after=resume_after)
    if enqueue:
        _sync_enqueue(scan.pk)
    return scan


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


class _SyncCancelled(Exception):
    pass


class _SyncTakenAway(Exception):
    pass


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
    claimed = LibraryScan.objects.filter(pk=scan_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if claimed != 1:
        return None
    scan = LibraryScan.objects.select_related("source").get(pk=scan_id)
    account = SubsonicAccount.objects.filter(source_id=scan.source_id).select_related("source").first()
    if account is None:
        return _finish(scan, status=JobStatus.FAILED, error="This library has no server account.")
    done, chain_start = _resume_point(scan.resume_after, scan.pk)
    scan.resume_after = f"{done}|{chain_start}"
    try:
        with account_client(account) as client:
            client.ping()
            albums = [album for _, album in client.albums(page_size=settings.SUBSONIC_PAGE_SIZE)]
            scan.files_total = sum(int(album.get("songCount") or 0) for album in albums)
            _heartbeat(scan)
            covers: dict[str, bytes | None] = {}
            for index in range(done, len(albums)):
                _sync_album(scan, client, albums[index], covers)
                scan.resume_after = f"{index + 1}|{chain_start}"
                _heartbeat(scan)
                if on_progress is not None:
                    on_progress(scan)
        scan.files_removed = _mark_removed(scan, chain_start=chain_start)
    except _SyncCancelled:
        return _finish(scan, status=JobStatus.CANCELLED)
    except _SyncTakenAway:
        logger.warning("Subsonic sync %s was marked failed while running; stopping", scan.pk)
        return LibraryScan.objects.filter(pk=scan.pk).first()
    except SubsonicAuthError as exc:
        return _finish(scan, status=JobStatus.FAILED, error=exc.message)
    except SubsonicError as exc:
        return _finish(
            scan, status=JobStatus.FAILED, error=f"{exc.message} A resync resumes after the last album read."
        )
    except ApplicationError as exc:
        return _finish(scan, status=JobStatus.FAILED, error=exc.message)
    except SoftTimeLimitExceeded:
        _finish(scan, status=JobStatus.FAILED, error="The sync ran past its time limit; a resync resumes.")
        raise
    except Exception as exc:
        _finish(scan, status=JobStatus.FAILED, error=f"Internal error: {type(exc).__name__}")
        raise
    scan.resume_after = ""
    _finish(scan, status=JobStatus.SUCCEEDED)
    LibrarySource.objects.filter(pk=scan.source_id).update(last_scan_at=scan.finished_at)
    if analyse:
        subsonic_files_analysis_queue(source_id=scan.source_id)
    return scan


_COUNT_FIELDS = (
    "files_total",
    "files_seen",
    "files_new",
    "files_changed",
    "files_unchanged",
    "files_removed",
    "files_failed",
    "failures",
)


def _finish(scan: LibraryScan, *, status: str, error: str = "") -> LibraryScan:
    scan.status = status
    scan.error = error
    scan.finished_at = timezone.now()
    scan.heartbeat_at = scan.finished_at
    scan.save(
        update_fields=["status", "error", "finished_at", "heartbeat_at", "resume_after", *_COUNT_FIELDS]
    )
    return scan


def _heartbeat(scan: LibraryScan) -> None:
    with transaction.atomic():
        state = (
            LibraryScan.objects.select_for_update()
            .filter(pk=scan.pk)
            .values_list("status", "cancel_requested")
            .first()
        )
        if state is None or state[0] != JobStatus.RUNNING:
            raise _SyncTakenAway
        scan.heartbeat_at = timezone.now()
        scan.save(update_fields=["heartbeat_at", "resume_after", *_COUNT_FIELDS])
    if state[1]:
        raise _SyncCancelled


def _fail(scan: LibraryScan, where: str, reason: str) -> None:
    scan.files_failed += 1
    if len(scan.failures) < FAILURES_KEPT:
        scan.failures = [*scan.failures, {"path": where, "reason": reason}]


def _sync_album(
    scan: LibraryScan, client: SubsonicClient, album_summary: dict, covers: dict[str, bytes | None]
) -> None:
    album_id = str(album_summary.get("id", ""))
    try:
        album = client.album(album_id)
    except SubsonicNotFound:
        # Removed from the server while we were syncing: its songs are marked at the end.
        _fail(scan, f"album {album_summary.get('name', album_id)}", "gone from the server during the sync")
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


# --- analysis through the server ----------------------------------------------------------------


def subsonic_files_analysis_queue(*, source_id: int) -> int:
    from catalog.tasks import analyse_subsonic_files

    pending = MediaFile.objects.filter(
        source_id=source_id, removed_at__isnull=True, analysed_at__isnull=True, analysis_error=""
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    batch = settings.LIBRARY_ANALYSIS_BATCH_SIZE
    for start in range(0, len(ids), batch):
        analyse_subsonic_files.delay_on_commit(media_file_ids=ids[start : start + batch])  # type: ignore[attr-defined]
    return len(ids)


_last_request_at = 0.0
# An advisory-lock namespace: at most SUBSONIC_ANALYSIS_CONCURRENCY downloads run at once, across
# every worker process sharing the database.
_ANALYSIS_LOCK_NAMESPACE = 0x5E605


def _polite_wait() -> None:
    """At most SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND stream requests a second from this process."""
    global _last_request_at
    interval = 1.0 / settings.SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND
    wait = _last_request_at + interval - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_request_at = time.monotonic()


def _slot_acquire(timeout_seconds: float = 600.0) -> int | None:
    slots = max(1, settings.SUBSONIC_ANALYSIS_CONCURRENCY)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            for slot in range(slots):
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ANALYSIS_LOCK_NAMESPACE, slot])
                if cursor.fetchone()[0]:
                    return slot
        time.sleep(0.2)
    return None


def _slot_release(slot: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ANALYSIS_LOCK_NAMESPACE, slot])


def subsonic_file_analyse(*, media_file_id: int) -> MediaFile | None:
    """Analyse one song from a bounded excerpt of the server's stream (an HTTP Range from the start).

    Idempotent like ``catalog.media_analysis.media_file_analyse``: a claimed, analysed or failed file is
    left alone (None). Not atomic: no transaction stays open while downloading or decoding.
    """
    from catalog.audio.analysis import AnalysisError, analyse_file  # librosa: analysis worker only
    from catalog.media_analysis import ANALYSIS_INTERRUPTED

    claimed = MediaFile.objects.filter(
        pk=media_file_id,
        analysed_at__isnull=True,
        analysis_error="",
        removed_at__isnull=True,
        source__kind=LibrarySourceKind.SUBSONIC,
    ).update(analysis_error=ANALYSIS_INTERRUPTED)
    if claimed != 1:
        return None
    media_file = MediaFile.objects.select_related("source").get(pk=media_file_id)
    account = SubsonicAccount.objects.select_related("source").get(source_id=media_file.source_id)
    slot = _slot_acquire()
    if slot is None:
        MediaFile.objects.filter(pk=media_file_id).update(analysis_error="")
        return None
    try:
        _polite_wait()
        with account_client(account) as client:
            audio, _ = client.stream_excerpt(
                media_file.path, max_bytes=settings.SUBSONIC_ANALYSIS_EXCERPT_BYTES
            )
    except SubsonicError as exc:
        # The server may be back later: the file is released for the next analysis run.
        MediaFile.objects.filter(pk=media_file_id).update(analysis_error="")
        logger.warning("Subsonic analysis of media file %s: %s", media_file_id, exc.message)
        return None
    except ApplicationError as exc:
        return media_file_analysis_fail(media_file_id=media_file_id, reason=exc.message)
    finally:
        _slot_release(slot)
    suffix = "." + (media_file.audio_format or "mp3")
    try:
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            handle.write(audio)
            handle.flush()
            analysis = analyse_file(
                Path(handle.name), excerpt_seconds=settings.LIBRARY_ANALYSIS_EXCERPT_SECONDS
            )
    except (AnalysisError, OSError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return media_file_analysis_fail(media_file_id=media_file_id, reason=reason or type(exc).__name__)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        logger.exception("Analysis of media file %s failed", media_file_id)
        return media_file_analysis_fail(
            media_file_id=media_file_id, reason=f"internal error: {type(exc).__name__}"
        )
    return media_file_analysis_store(media_file_id=media_file_id, analysis=analysis)


# --- streaming ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteAudio:
    source_id: int
    song_id: str
    content_type: str
    size: int


def track_remote_locate(*, track_id: int) -> RemoteAudio | None:
    media = (
        MediaFile.objects.filter(
            track_id=track_id, removed_at__isnull=True, source__kind=LibrarySourceKind.SUBSONIC
        )
        .order_by("id")
        .values_list("source_id", "path", "content_type", "size")
        .first()
    )
    if media is None:
        return None
    return RemoteAudio(source_id=media[0], song_id=media[1], content_type=media[2], size=media[3])


def remote_stream_client(*, source_id: int) -> SubsonicClient:
    account = SubsonicAccount.objects.select_related("source").get(source_id=source_id)
    return account_client(account)


# --- listeners' links --------------------------------------------------------------------------


@sensitive_variables("password", "api_key", "secret")
def subsonic_link_add(
    *, user: User, source_id: int, username: str, password: str = "", api_key: str = ""
) -> SubsonicLink:
    """Link (or re-link) the listener's own account on a Subsonic source, checked first."""
    source = LibrarySource.objects.filter(pk=source_id, kind=LibrarySourceKind.SUBSONIC).first()
    if source is None:
        raise ApplicationError("No such Subsonic library.")
    checked = server_check(
        base_url=source.base_url, username=username.strip(), password=password, api_key=api_key
    )
    return _link_store(
        user=user,
        source=source,
        username=username.strip(),
        secret=Secret(password=password, api_key=api_key),
        auth_mode=checked.auth_mode,
    )


@sensitive_variables("password", "api_key", "secret")
@transaction.atomic
def _link_store(
    *, user: User, source: LibrarySource, username: str, secret: Secret, auth_mode: str
) -> SubsonicLink:
    link, _ = SubsonicLink.objects.update_or_create(
        user=user,
        source=source,
        defaults={
            "username": username[:200],
            "credentials": secret_encrypt(secret),
            "auth_mode": auth_mode,
            "last_error": "",
        },
    )
    return link


@transaction.atomic
def subsonic_link_update(*, link: SubsonicLink, scrobble: bool) -> SubsonicLink:
    link.scrobble = scrobble
    link.save(update_fields=["scrobble"])
    return link


def subsonic_link_remove(*, link: SubsonicLink, delete_pushed: bool = False) -> int:
    """Unlink; with ``delete_pushed`` the pushed playlists are deleted on the server first (those
    it cannot delete are left there). Returns how many were deleted on the server."""
    deleted = 0
    if delete_pushed:
        deleted = _remote_playlists_delete(link, list(link.pushes.all()))
    with transaction.atomic():
        SubsonicLink.objects.filter(pk=link.pk).delete()
    return deleted


def _remote_playlists_delete(link: SubsonicLink, pushes: Sequence[SubsonicPush]) -> int:
    deleted = 0
    try:
        with link_client(link) as client:
            for push in pushes:
                if not push.remote_playlist_id:
                    continue
                try:
                    client.playlist_delete(push.remote_playlist_id)
                    deleted += 1
                except SubsonicNotFound:
                    continue
    except (SubsonicError, ApplicationError) as exc:
        logger.warning("Deleting pushed playlists of link %s: %s", link.pk, getattr(exc, "message", exc))
    return deleted


# --- pushed playlists --------------------------------------------------------------------------


def _song_ids(source_id: int, track_ids: Sequence[int]) -> tuple[list[str], int]:
    rows = MediaFile.objects.filter(
        source_id=source_id, track_id__in=list(track_ids), removed_at__isnull=True
    )
    by_track: dict[int, str] = {}
    for track_id, path in rows.order_by("id").values_list("track_id", "path"):
        by_track.setdefault(track_id, path)
    songs = [by_track[track_id] for track_id in track_ids if track_id in by_track]
    return songs, len(track_ids) - len(songs)


def subsonic_playlist_push(
    *,
    user: User,
    link: SubsonicLink,
    playlist_id: int,
    name: str,
    version_number: int,
    track_ids: Sequence[int],
) -> SubsonicPush:
    """Create or replace the listener's copy of a Segue playlist on their server account.

    ApplicationError (and nothing written) when the server cannot be reached or refuses.
    """
    if link.user_id != user.pk:
        raise ApplicationError("No such link.")
    songs, missing = _song_ids(link.source_id, track_ids)
    push = SubsonicPush.objects.filter(link=link, playlist_id=playlist_id).first()
    try:
        with link_client(link) as client:
            remote_id = push.remote_playlist_id if push is not None else ""
            if remote_id:
                try:
                    client.playlist_replace(playlist_id=remote_id, name=name, song_ids=songs)
                except SubsonicNotFound:
                    remote_id = ""  # deleted on the server meanwhile: made again
            if not remote_id:
                remote_id = client.playlist_create(name=name, song_ids=songs)
    except SubsonicError as exc:
        if push is not None:
            SubsonicPush.objects.filter(pk=push.pk).update(error=exc.message[:1000])
        raise ApplicationError(exc.message) from None
    return _push_store(
        link=link,
        playlist_id=playlist_id,
        name=name,
        version_number=version_number,
        remote_id=remote_id,
        pushed=len(songs),
        missing=missing,
    )


@transaction.atomic
def _push_store(
    *,
    link: SubsonicLink,
    playlist_id: int,
    name: str,
    version_number: int,
    remote_id: str,
    pushed: int,
    missing: int,
) -> SubsonicPush:
    push, _ = SubsonicPush.objects.update_or_create(
        link=link,
        playlist_id=playlist_id,
        defaults={
            "user_id": link.user_id,
            "remote_playlist_id": remote_id,
            "name": name[:300],
            "version_number": version_number,
            "songs_pushed": pushed,
            "songs_missing": missing,
            "error": "",
            "pushed_at": timezone.now(),
        },
    )
    return push


def subsonic_pushes_refresh(
    *, user_id: int, playlist_id: int, name: str, version_number: int, track_ids: Sequence[int]
) -> int:
    """Keep every pushed copy of a playlist in step with its new version (refine, refresh).

    Called by the playlists app when a version is ready; a server that fails is noted on the push
    and tried again with the next version. Returns how many copies were updated."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    updated = 0
    for push in SubsonicPush.objects.filter(user_id=user_id, playlist_id=playlist_id).select_related(
        "link__source"
    ):
        if push.version_number > version_number or (
            push.version_number == version_number and push.name == name
        ):
            continue  # already there (a redelivered task, or an older version arriving late)
        try:
            subsonic_playlist_push(
                user=user,
                link=push.link,
                playlist_id=playlist_id,
                name=name,
                version_number=version_number,
                track_ids=track_ids,
            )
            updated += 1
        except ApplicationError as exc:
            logger.warning("Pushed playlist %s not updated: %s", push.pk, exc.message)
    return updated


def subsonic_pushes_forget(*, user: User, playlist_id: int, delete_remote: bool) -> int:
    """A Segue playlist was deleted: forget its pushes (and with ``delete_remote``, delete the copies)."""
    pushes = list(
        SubsonicPush.objects.filter(user=user, playlist_id=playlist_id).select_related("link__source")
    )
    deleted = 0
    if delete_remote:
        for push in pushes:
            deleted += _remote_playlists_delete(push.link, [push])
    with transaction.atomic():
        SubsonicPush.objects.filter(pk__in=[push.pk for push in pushes]).delete()
    return deleted


# --- scrobbles ---------------------------------------------------------------------------------


def subsonic_scrobbles_send(*, user_id: int, plays: Iterable[tuple[int, int, bool]]) -> int:
    """Send plays made in Segue to each linked server that holds the track: (track id, epoch ms,
    submission). Only with the listening_history consent; returns how many were sent."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not consent_allows(user, ConsentPurpose.LISTENING_HISTORY):
        return 0
    plays = list(plays)
    sent = 0
    for link in SubsonicLink.objects.filter(user=user, scrobble=True).select_related("source"):
        songs = dict(
            MediaFile.objects.filter(
                source_id=link.source_id, track_id__in=[play[0] for play in plays], removed_at__isnull=True
            )
            .order_by("-id")
            .values_list("track_id", "path")
        )
        wanted = [
            (songs[track_id], at_ms, submission) for track_id, at_ms, submission in plays if track_id in songs
        ]
        if not wanted:
            continue
        try:
            with link_client(link) as client:
                for song_id, at_ms, submission in wanted:
                    client.scrobble(song_id=song_id, time_ms=at_ms, submission=submission)
                    sent += 1
            error = ""
        except (SubsonicError, ApplicationError) as exc:
            error = getattr(exc, "message", str(exc))
            logger.warning("Scrobbles to link %s stopped: %s", link.pk, error)
        SubsonicLink.objects.filter(pk=link.pk).update(last_error=error[:1000])
    return sent


def epoch_ms(moment: datetime) -> int:
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def auth_mode_label(mode: str) -> str:
    return str(SubsonicAuthMode(mode).label) if mode in SubsonicAuthMode.values else mode


def subsonic_pushes_follow(
    *, user_id: int, playlist_id: int, name: str, version_number: int, track_ids: Sequence[int]
) -> bool:
    """The playlists app's hook when a version is ready: if the playlist was pushed anywhere, its
    copies are updated after the commit (a background task). Returns whether one was queued."""
    if not SubsonicPush.objects.filter(user_id=user_id, playlist_id=playlist_id).exists():
        return False
    from catalog.tasks import refresh_subsonic_pushes

    refresh_subsonic_pushes.delay_on_commit(  # type: ignore[attr-defined]
        user_id=user_id,
        playlist_id=playlist_id,
        name=name,
        version_number=version_number,
        track_ids=list(track_ids),
    )
    return True


def subsonic_pushes_for_user(*, user: User, playlist_id: int | None = None) -> list[SubsonicPush]:
    """The listener's pushed playlists (of one Segue playlist), with their link and source."""
    pushes = SubsonicPush.objects.filter(user=user).select_related("link__source")
    if playlist_id is not None:
        pushes = pushes.filter(playlist_id=playlist_id)
    return list(pushes)


def scrobbles_queue(*, user_id: int, plays: Sequence[tuple[int, int, bool]]) -> bool:
    """The feedback app's hook after storing play / complete events: send them on after the commit
    when the listener has a link that scrobbles. Returns whether a task was queued."""
    if not plays or not SubsonicLink.objects.filter(user_id=user_id, scrobble=True).exists():
        return False
    from catalog.tasks import scrobble_subsonic

    scrobble_subsonic.delay_on_commit(user_id=user_id, plays=[list(play) for play in plays])  # type: ignore[attr-defined]
    return True
