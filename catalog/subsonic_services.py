"""Every write about Subsonic / OpenSubsonic sources, by part:

- adding a server as a source, and locating a track's remote audio for streaming: here;
- connecting (base URL, checked login, clients): ``catalog.subsonic_connect``;
- syncing a source's library (a resumable ``LibraryScan``): ``catalog.subsonic_sync``;
- analysing songs through the server: ``catalog.subsonic_analysis``;
- listeners' links, pushed playlists and scrobbles: ``catalog.subsonic_links``.

The names callers use are re-exported here, so ``catalog.subsonic_services`` stays the one door.
Server credentials are decrypted only in ``catalog.subsonic_connect``, to talk to the server; they
never leave in an exception message, a log line, an export or a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from catalog.models import LibrarySource, LibrarySourceKind, MediaFile, SubsonicAccount
from catalog.subsonic.client import SubsonicClient
from catalog.subsonic_analysis import subsonic_file_analyse, subsonic_files_analysis_queue
from catalog.subsonic_connect import ServerChecked, account_client, base_url_clean, link_client, server_check
from catalog.subsonic_links import (
    RemoteDeletion,
    epoch_ms,
    scrobbles_queue,
    subsonic_link_add,
    subsonic_link_remove,
    subsonic_link_update,
    subsonic_playlist_push,
    subsonic_push_leftovers_retry,
    subsonic_pushes_erase,
    subsonic_pushes_follow,
    subsonic_pushes_for_user,
    subsonic_pushes_forget,
    subsonic_pushes_refresh,
    subsonic_scrobbles_send,
)
from catalog.subsonic_secrets import Secret, secret_encrypt
from catalog.subsonic_sync import subsonic_sources_sync_all, subsonic_sync_request, subsonic_sync_run
from config.errors import ApplicationError

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


__all__ = [
    "RemoteAudio",
    "RemoteDeletion",
    "ServerChecked",
    "account_client",
    "base_url_clean",
    "epoch_ms",
    "link_client",
    "remote_stream_client",
    "scrobbles_queue",
    "server_check",
    "subsonic_file_analyse",
    "subsonic_files_analysis_queue",
    "subsonic_link_add",
    "subsonic_link_remove",
    "subsonic_link_update",
    "subsonic_playlist_push",
    "subsonic_push_leftovers_retry",
    "subsonic_pushes_erase",
    "subsonic_pushes_follow",
    "subsonic_pushes_for_user",
    "subsonic_pushes_forget",
    "subsonic_pushes_refresh",
    "subsonic_scrobbles_send",
    "subsonic_source_add",
    "subsonic_sources_sync_all",
    "subsonic_sync_request",
    "subsonic_sync_run",
    "track_remote_locate",
]
