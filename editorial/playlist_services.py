"""Editorial playlists: built by a worker from a prompt with the desk's rules, then edited by
curators (add, remove, move, pin, rename, publish, rebuild) with a revision check per edit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError
from editorial.audit import audit_record, snapshot
from editorial.models import (
    EditorialItem,
    EditorialPlaylist,
    EditorialStatus,
)
from editorial.services import text_clean, track_existing
from playlists.services import prompt_clean

BUILD_TIME_LIMIT_SECONDS = 120  # the build task's hard limit; a build older than this was lost
PLAYLIST_FIELDS = ("name", "description", "status", "revision")
Row = tuple[int, bool, list[str]]  # an editorial playlist's track: id, pinned, reasons
STALE_EDIT_MESSAGE = (
    "Someone else changed this playlist since you opened it (now at revision {current}, you had "
    "{yours}). Reload to see their changes; nothing of yours was saved."
)


# --- editorial playlists ------------------------------------------------------------------


@transaction.atomic
def editorial_playlist_create(
    *, actor: User, name: str, prompt: str, description: str = ""
) -> EditorialPlaylist:
    """A new editorial playlist, built from ``prompt`` by a worker (status ``building``)."""
    name = text_clean(name)
    if not name:
        raise ApplicationError("An editorial playlist needs a name.")
    playlist = EditorialPlaylist.objects.create(
        name=name[:200], prompt=prompt_clean(prompt), description=description.strip(), created_by=actor
    )
    audit_record(
        actor=actor,
        action="editorial_playlist.create",
        target=playlist,
        summary=playlist.name,
        after=snapshot(playlist, (*PLAYLIST_FIELDS, "prompt")),
    )
    _build_enqueue(playlist)
    return playlist


def _build_enqueue(playlist: EditorialPlaylist) -> None:
    # The task module imports this one (a task calls its service); enqueueing needs the task.
    from editorial.tasks import build_editorial_playlist

    build_editorial_playlist.delay_on_commit(playlist_id=playlist.pk)  # type: ignore[attr-defined]


def editorial_playlist_build(*, playlist_id: int) -> None:
    """Compose the playlist from its prompt with the desk's rules, keeping pinned items where
    they are; idempotent: only a playlist in ``building`` is built."""
    # The engine loads the text model (torch): imported by the worker that builds, not by every
    # process that imports the desk's services.
    from editorial.rules import rules_for_prompt
    from playlists.composer import Pin, PromptError, playlist_compose

    playlist = EditorialPlaylist.objects.filter(pk=playlist_id, status=EditorialStatus.BUILDING).first()
    if playlist is None:
        return
    pinned = list(playlist.items.filter(pinned=True).values_list("track_id", "position"))
    rules, _ = rules_for_prompt(prompt=playlist.prompt)
    rules = replace(
        rules, pinned=rules.pinned + tuple(Pin(track_id, position - 1) for track_id, position in pinned)
    )
    try:
        composition = playlist_compose(prompt=playlist.prompt, rules=rules)
    except PromptError as error:
        _build_fail(playlist_id, str(error))
        return
    except Exception:
        # Never leave it "building" for good: the curator sees the failure and can rebuild.
        _build_fail(playlist_id, "The build failed unexpectedly; rebuild to try again.")
        raise
    pinned_ids = {track_id for track_id, _ in pinned}
    _build_store(
        playlist_id,
        [(item.track_id, item.track_id in pinned_ids, list(item.reasons)) for item in composition.items],
    )


@transaction.atomic
def _build_store(playlist_id: int, rows: list[Row]) -> None:
    playlist = EditorialPlaylist.objects.select_for_update().get(pk=playlist_id)
    if playlist.status != EditorialStatus.BUILDING:
        return
    _items_write(playlist, rows)
    playlist.status = EditorialStatus.PUBLISHED if playlist.published_at else EditorialStatus.DRAFT
    playlist.error = ""
    playlist.revision += 1
    playlist.save(update_fields=["status", "error", "revision", "updated_at"])


def _build_fail(playlist_id: int, message: str) -> None:
    EditorialPlaylist.objects.filter(pk=playlist_id, status=EditorialStatus.BUILDING).update(
        status=EditorialStatus.FAILED, error=message
    )


def _items_write(playlist: EditorialPlaylist, rows: Sequence[Row]) -> None:
    playlist.items.all().delete()
    EditorialItem.objects.bulk_create(
        EditorialItem(playlist=playlist, position=index, track_id=track_id, pinned=pinned, reasons=reasons)
        for index, (track_id, pinned, reasons) in enumerate(rows, start=1)
    )


def _editable(playlist: EditorialPlaylist, revision: int) -> EditorialPlaylist:
    """The playlist locked for an edit made on ``revision``; a stale revision is refused."""
    locked = EditorialPlaylist.objects.select_for_update().get(pk=playlist.pk)
    if locked.revision != revision:
        raise ApplicationError(
            STALE_EDIT_MESSAGE.format(current=locked.revision, yours=revision), extra={"stale": True}
        )
    if locked.status == EditorialStatus.BUILDING and not _build_lost(locked):
        raise ApplicationError("This playlist is being built; wait a moment and reload.")
    return locked


def _build_lost(playlist: EditorialPlaylist) -> bool:
    """A build still "running" past the task's hard time limit died with its worker."""
    return playlist.updated_at < timezone.now() - timedelta(seconds=BUILD_TIME_LIMIT_SECONDS)


def _rows(playlist: EditorialPlaylist) -> list[Row]:
    return [(item.track_id, item.pinned, item.reasons) for item in playlist.items.order_by("position")]


def _edit_finish(
    *, actor: User, playlist: EditorialPlaylist, action: str, summary: str, before: object, after: object
) -> EditorialPlaylist:
    playlist.revision += 1
    playlist.save(update_fields=["revision", "updated_at", "name", "description", "status", "published_at"])
    audit_record(
        actor=actor,
        action=f"editorial_playlist.{action}",
        target=playlist,
        summary=summary,
        before={"revision": playlist.revision - 1, "value": before},
        after={"revision": playlist.revision, "value": after},
    )
    return playlist


def _track_ids(rows: Sequence[Row]) -> list[int]:
    return [track_id for track_id, _, _ in rows]


def _reorder(
    *,
    actor: User,
    playlist: EditorialPlaylist,
    revision: int,
    action: str,
    change: Callable[[list[Row]], tuple[list[Row], str]],
) -> EditorialPlaylist:
    """Apply ``change`` (rows in, rows and a summary out) to the tracks, made on ``revision``."""
    playlist = _editable(playlist, revision)
    rows = _rows(playlist)
    before = _track_ids(rows)
    rows, summary = change(rows)
    _items_write(playlist, rows)
    return _edit_finish(
        actor=actor, playlist=playlist, action=action, summary=summary, before=before, after=_track_ids(rows)
    )


def _index_of(rows: list[Row], track_id: int) -> int:
    ids = _track_ids(rows)
    if track_id not in ids:
        raise ApplicationError("That track is not in this playlist (any more).")
    return ids.index(track_id)


def _clamped(position: int, rows: list[Row]) -> int:
    return min(max(position - 1, 0), len(rows))


@transaction.atomic
def editorial_playlist_track_add(
    *, actor: User, playlist: EditorialPlaylist, revision: int, track_id: int, position: int | None = None
) -> EditorialPlaylist:
    def add(rows: list[Row]) -> tuple[list[Row], str]:
        track = track_existing(track_id)
        if track.pk in _track_ids(rows):
            raise ApplicationError(f"“{track.title}” is in this playlist already.")
        index = len(rows) if position is None else _clamped(position, rows)
        return [
            *rows[:index],
            (track.pk, False, ["curator pick"]),
            *rows[index:],
        ], f"added {track.title} at {index + 1}"

    return _reorder(actor=actor, playlist=playlist, revision=revision, action="add", change=add)


@transaction.atomic
def editorial_playlist_track_remove(
    *, actor: User, playlist: EditorialPlaylist, revision: int, track_id: int
) -> EditorialPlaylist:
    def remove(rows: list[Row]) -> tuple[list[Row], str]:
        index = _index_of(rows, track_id)
        return [*rows[:index], *rows[index + 1 :]], f"removed track {track_id}"

    return _reorder(actor=actor, playlist=playlist, revision=revision, action="remove", change=remove)


@transaction.atomic
def editorial_playlist_track_move(
    *, actor: User, playlist: EditorialPlaylist, revision: int, track_id: int, position: int
) -> EditorialPlaylist:
    def move(rows: list[Row]) -> tuple[list[Row], str]:
        row = rows.pop(_index_of(rows, track_id))
        index = _clamped(position, rows)
        return [*rows[:index], row, *rows[index:]], f"moved track {track_id} to {index + 1}"

    return _reorder(actor=actor, playlist=playlist, revision=revision, action="move", change=move)


@transaction.atomic
def editorial_playlist_track_pin(
    *, actor: User, playlist: EditorialPlaylist, revision: int, track_id: int, pinned: bool
) -> EditorialPlaylist:
    playlist = _editable(playlist, revision)
    updated = playlist.items.filter(track_id=track_id).update(pinned=pinned)
    if not updated:
        raise ApplicationError("That track is not in this playlist (any more).")
    return _edit_finish(
        actor=actor,
        playlist=playlist,
        action="pin" if pinned else "unpin",
        summary=f"{'pinned' if pinned else 'unpinned'} track {track_id}",
        before={"pinned": not pinned},
        after={"pinned": pinned},
    )


@transaction.atomic
def editorial_playlist_update(
    *, actor: User, playlist: EditorialPlaylist, revision: int, name: str, description: str = ""
) -> EditorialPlaylist:
    playlist = _editable(playlist, revision)
    before = {"name": playlist.name, "description": playlist.description}
    cleaned = text_clean(name)
    if not cleaned:
        raise ApplicationError("An editorial playlist needs a name.")
    playlist.name = cleaned[:200]
    playlist.description = description.strip()
    return _edit_finish(
        actor=actor,
        playlist=playlist,
        action="update",
        summary=playlist.name,
        before=before,
        after={"name": playlist.name, "description": playlist.description},
    )


@transaction.atomic
def editorial_playlist_publish(
    *, actor: User, playlist: EditorialPlaylist, revision: int, publish: bool = True
) -> EditorialPlaylist:
    """Publish for every listener (or withdraw it back to a draft)."""
    playlist = _editable(playlist, revision)
    if publish and not playlist.items.exists():
        raise ApplicationError("An empty playlist cannot be published; add tracks first.")
    before = playlist.status
    playlist.status = EditorialStatus.PUBLISHED if publish else EditorialStatus.DRAFT
    playlist.published_at = timezone.now() if publish else None
    return _edit_finish(
        actor=actor,
        playlist=playlist,
        action="publish" if publish else "unpublish",
        summary=playlist.name,
        before=before,
        after=playlist.status,
    )


@transaction.atomic
def editorial_playlist_rebuild(
    *, actor: User, playlist: EditorialPlaylist, revision: int
) -> EditorialPlaylist:
    """Build again from the prompt; pinned tracks keep their positions."""
    playlist = _editable(playlist, revision)
    before = playlist.status
    playlist.status = EditorialStatus.BUILDING
    _edit_finish(
        actor=actor,
        playlist=playlist,
        action="rebuild",
        summary=playlist.name,
        before=before,
        after=playlist.status,
    )
    _build_enqueue(playlist)
    return playlist
