"""Listeners' own links to a Subsonic server: adding and removing them, playlists pushed to the
server (and refreshed, followed or forgotten), and scrobbles sent on the listener's behalf.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from catalog.models import (
    LibrarySource,
    LibrarySourceKind,
    MediaFile,
    SubsonicAuthMode,
    SubsonicLink,
    SubsonicPush,
    SubsonicPushLeftover,
)
from catalog.subsonic.client import SubsonicClient, SubsonicError, SubsonicNotFound, SubsonicUnreachable
from catalog.subsonic_connect import link_client, server_check
from catalog.subsonic_secrets import Secret, secret_encrypt
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


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


@dataclass
class RemoteDeletion:
    """What deleting pushed copies on a server did: how many went, which could not, and why."""

    deleted: int = 0
    failed: list[SubsonicPush] = field(default_factory=list)
    error: str = ""

    def absorb(self, other: RemoteDeletion) -> None:
        """Add what another server's deletion did (its reason, if it failed, is kept)."""
        self.deleted += other.deleted
        self.failed.extend(other.failed)
        self.error = other.error or self.error

    def note(self) -> str:
        """What a listener is told: how many copies were deleted, and which stay and why."""
        deleted = (
            f" {self.deleted} pushed playlist{'s' if self.deleted != 1 else ''} deleted on the server."
            if self.deleted
            else ""
        )
        count = len(self.failed)
        if not count:
            return deleted
        names = ", ".join(f"“{push.name}”" for push in self.failed)
        return (
            f"{deleted} {count} pushed playlist{'s' if count != 1 else ''} could not be deleted and"
            f" {'stay' if count != 1 else 'stays'} on the server ({names}): {self.error}"
            f" Delete {'them' if count != 1 else 'it'} in your server's own app."
        )


def subsonic_link_remove(*, link: SubsonicLink, delete_pushed: bool = False) -> RemoteDeletion:
    """Unlink; with ``delete_pushed`` the pushed playlists are deleted on the server first (those
    it cannot delete are left there, and named in the result)."""
    outcome = RemoteDeletion()
    if delete_pushed:
        outcome = _remote_playlists_delete(link, list(link.pushes.all()))
    with transaction.atomic():
        SubsonicLink.objects.filter(pk=link.pk).delete()
    return outcome


def _remote_playlists_delete(link: SubsonicLink, pushes: Sequence[SubsonicPush]) -> RemoteDeletion:
    """Delete the pushed copies with the listener's own account; one already gone counts as done.
    An unreachable server (or credentials that no longer decrypt) leaves every copy not yet done."""
    outcome = RemoteDeletion()
    pending = [push for push in pushes if push.remote_playlist_id]
    try:
        with link_client(link) as client:
            while pending:
                push = pending[0]
                try:
                    client.playlist_delete(push.remote_playlist_id)
                    outcome.deleted += 1
                except SubsonicNotFound:
                    pass  # deleted on the server already
                except SubsonicUnreachable:
                    raise
                except SubsonicError as exc:
                    outcome.failed.append(push)
                    outcome.error = exc.message
                pending.pop(0)
    except (SubsonicError, ApplicationError) as exc:
        outcome.failed.extend(pending)
        outcome.error = exc.message
    if outcome.failed:
        logger.warning(
            "%d pushed playlists of link %s not deleted: %s", len(outcome.failed), link.pk, outcome.error
        )
    return outcome


def subsonic_pushes_erase(*, user: User) -> None:
    """Erasure hook: delete on each server the playlists Segue pushed for the listener.

    Copies that cannot be deleted now (server unreachable, refused) become a
    ``SubsonicPushLeftover``: the server, the remote id and the name, nothing that leads back to
    the listener; staff see them and the source's next sync tries again. The links and pushes
    themselves go with the user's rows."""
    for link in SubsonicLink.objects.filter(user=user).select_related("source"):
        outcome = _remote_playlists_delete(link, list(link.pushes.all()))
        for push in outcome.failed:
            _leftover_record(source=link.source, push=push, error=outcome.error)


def _leftover_record(*, source: LibrarySource, push: SubsonicPush, error: str) -> None:
    SubsonicPushLeftover.objects.update_or_create(
        source=source,
        remote_playlist_id=push.remote_playlist_id,
        defaults={
            "server_url": source.base_url,
            "name": push.name[:300],
            "error": error[:1000],
            "last_attempt_at": timezone.now(),
        },
    )


def subsonic_push_leftovers_retry(*, source: LibrarySource, client: SubsonicClient) -> int:
    """Try again to delete the copies erased listeners left on this server, with the source's own
    account (part of each sync). Returns how many are now gone; the rest keep their error."""
    gone = 0
    for leftover in SubsonicPushLeftover.objects.filter(source=source):
        try:
            client.playlist_delete(leftover.remote_playlist_id)
        except SubsonicNotFound:
            pass  # deleted by someone else meanwhile
        except SubsonicError as exc:
            SubsonicPushLeftover.objects.filter(pk=leftover.pk).update(
                error=exc.message[:1000], attempts=F("attempts") + 1, last_attempt_at=timezone.now()
            )
            if isinstance(exc, SubsonicUnreachable):
                break
            continue
        SubsonicPushLeftover.objects.filter(pk=leftover.pk).delete()
        gone += 1
    return gone


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


def subsonic_pushes_forget(*, user: User, playlist_id: int, delete_remote: bool) -> RemoteDeletion:
    """A Segue playlist was deleted: forget its pushes (and with ``delete_remote``, delete the
    copies; those a server cannot delete are left there, and named in the result)."""
    pushes = list(
        SubsonicPush.objects.filter(user=user, playlist_id=playlist_id).select_related("link__source")
    )
    outcome = RemoteDeletion()
    if delete_remote:
        for push in pushes:
            outcome.absorb(_remote_playlists_delete(push.link, [push]))
    with transaction.atomic():
        SubsonicPush.objects.filter(pk__in=[push.pk for push in pushes]).delete()
    return outcome


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
