"""Every write to playlists: create, refine, edit, refresh, rename, delete, and generation itself."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from catalog.models import SubsonicLink, SubsonicPush
from catalog.subsonic_services import (
    RemoteDeletion,
    subsonic_playlist_push,
    subsonic_pushes_follow,
    subsonic_pushes_forget,
)
from config.errors import ApplicationError
from config.jobs import LOST_WORKER_MESSAGE, jobs_sweep_stale
from config.metrics import metrics_record_generation
from playlists import providers
from playlists.edit_checks import intent_edit_check
from playlists.engine.intent import Intent, PromptError, validate_prompt, validate_size
from playlists.generation import GeneratedVersion, composition_for_version
from playlists.models import (
    NAME_MAX_LENGTH,
    Playlist,
    PlaylistItem,
    PlaylistVersion,
    RefreshSchedule,
    VersionCause,
    VersionStatus,
)
from playlists.presentation import generated_title

logger = logging.getLogger(__name__)

REFRESH_INTERVALS = {RefreshSchedule.DAILY: timedelta(days=1), RefreshSchedule.WEEKLY: timedelta(weeks=1)}
CHANGE_MAX_LENGTH = 500
NAME_FROM_PROMPT_LENGTH = 60
# A version left "running" this long was lost with its worker; it may be claimed again.
STALE_RUN = timedelta(minutes=10)
_WORD = re.compile(r"\w", re.UNICODE)


# --- input rules ------------------------------------------------------------------------------


def prompt_clean(prompt: str) -> str:
    """The prompt with whitespace collapsed, or an ApplicationError saying what is wrong with it
    (the engine's own rules: not empty, not too long, has words)."""
    cleaned = " ".join((prompt or "").split())
    try:
        return validate_prompt(cleaned)
    except PromptError as error:
        raise ApplicationError(str(error)) from error


def size_check(size: int | None) -> int | None:
    try:
        return validate_size(size)
    except PromptError as error:
        raise ApplicationError(str(error)) from error


def _change_clean(change: str) -> str:
    cleaned = " ".join((change or "").split())
    if not cleaned or not _WORD.search(cleaned):
        raise ApplicationError("Say what to change, e.g. “less rap, more upbeat”.")
    if len(cleaned) > CHANGE_MAX_LENGTH:
        raise ApplicationError(f"Keep the change under {CHANGE_MAX_LENGTH} characters.")
    return cleaned


def _name_from_prompt(prompt: str) -> str:
    """The name until the first version is made (then its generated title, ``_name_follow``)."""
    if len(prompt) <= NAME_FROM_PROMPT_LENGTH:
        return prompt[:1].upper() + prompt[1:]
    cut = prompt[:NAME_FROM_PROMPT_LENGTH].rsplit(" ", 1)[0]
    return cut[:1].upper() + cut[1:] + "…"


# --- playlists --------------------------------------------------------------------------------


@transaction.atomic
def playlist_create(
    *,
    owner: User,
    prompt: str,
    size: int | None = None,
    duration_seconds: int | None = None,
    new_only: bool = False,
    name: str = "",
) -> Playlist:
    """A playlist for ``prompt`` with its first version queued for generation."""
    prompt = prompt_clean(prompt)
    if duration_seconds is not None and not 60 <= duration_seconds <= 24 * 3600:
        raise ApplicationError("A playlist lasts between one minute and 24 hours.")
    playlist = Playlist.objects.create(
        owner=owner,
        name=_name_clean(name) if name else _name_from_prompt(prompt),
        named_by_listener=bool(name),
        prompt=prompt,
        size=size_check(size),
        duration_seconds=duration_seconds,
        new_only=new_only,
    )
    _version_queue(playlist, cause=VersionCause.PROMPT, change=prompt)
    return playlist


@transaction.atomic
def playlist_refine(*, playlist: Playlist, change: str) -> PlaylistVersion:
    """A new version from the current Intent plus ``change`` ("less rap, more upbeat")."""
    playlist = _locked(playlist)
    return _version_queue(
        playlist, cause=VersionCause.REFINE, change=_change_clean(change), intent=_current_intent(playlist)
    )


@transaction.atomic
def playlist_intent_edit(*, playlist: Playlist, intent: dict, summary: str = "") -> PlaylistVersion:
    """A new version from an Intent the listener edited (a chip removed, a slider moved)."""
    playlist = _locked(playlist)
    try:
        intent_edit_check(intent)
        checked = Intent.from_dict(intent).to_dict()
    except (KeyError, TypeError, ValueError) as error:
        raise ApplicationError(f"The edited settings are not valid: {error}") from error
    return _version_queue(
        playlist, cause=VersionCause.EDIT, change=summary or "Edited settings", intent=checked
    )


@transaction.atomic
def playlist_regenerate(*, playlist: Playlist, cause: str = VersionCause.REGENERATE) -> PlaylistVersion:
    """A fresh version from the current Intent (new picks where the engine has a choice)."""
    playlist = _locked(playlist)
    return _version_queue(playlist, cause=cause, change="", intent=_current_intent(playlist))


@transaction.atomic
def playlist_version_retry(*, version: PlaylistVersion) -> PlaylistVersion:
    """Queue a failed version again."""
    version = PlaylistVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.FAILED:
        raise ApplicationError("Only a failed version can be retried.")
    version.status = VersionStatus.QUEUED
    version.error = ""
    version.stage = ""
    version.save(update_fields=["status", "error", "stage"])
    _generation_enqueue(version)
    return version


@transaction.atomic
def playlist_update(
    *, playlist: Playlist, name: str | None = None, refresh: str | None = None, now: datetime | None = None
) -> Playlist:
    playlist = _locked(playlist)
    renamed = False
    if name is not None:
        cleaned = _name_clean(name)
        renamed = cleaned != playlist.name
        playlist.name = cleaned
        # From now on the name is the listener's: new versions no longer retitle the playlist.
        playlist.named_by_listener = playlist.named_by_listener or renamed
    if refresh is not None:
        if refresh not in RefreshSchedule.values:
            raise ApplicationError(f"Unknown refresh schedule “{refresh}”; use never, daily or weekly.")
        playlist.refresh = refresh
        interval = REFRESH_INTERVALS.get(RefreshSchedule(refresh))
        playlist.next_refresh_at = (now or timezone.now()) + interval if interval else None
    playlist.save()
    ready = playlist.versions.filter(status=VersionStatus.READY).order_by("-number").first()
    if renamed and ready is not None:
        # Copies pushed to media servers carry the playlist's name.
        subsonic_pushes_follow(
            user_id=playlist.owner_id,
            playlist_id=playlist.pk,
            name=playlist.name,
            version_number=ready.number,
            track_ids=list(ready.items.order_by("position").values_list("track_id", flat=True)),
        )
    return playlist


def _name_clean(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ApplicationError("A playlist needs a name.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ApplicationError(f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return cleaned


def playlist_delete(*, playlist: Playlist, delete_pushed: bool = False) -> RemoteDeletion:
    """Delete a playlist; its copies pushed to media servers are deleted there too when asked
    (``delete_pushed``), else left on the server and forgotten here. The playlist goes even when
    a server cannot delete its copy: the result names the copies left there, and why."""
    outcome = subsonic_pushes_forget(
        user=playlist.owner, playlist_id=playlist.pk, delete_remote=delete_pushed
    )
    with transaction.atomic():
        playlist.delete()
    return outcome


def playlists_refresh_due(*, now: datetime | None = None) -> int:
    """Queue a refresh of every playlist whose schedule is due; returns how many."""
    now = now or timezone.now()
    due = list(
        Playlist.objects.exclude(refresh=RefreshSchedule.NEVER)
        .filter(next_refresh_at__lte=now)
        .values_list("pk", flat=True)
    )
    queued = 0
    for playlist_id in due:
        with transaction.atomic():
            playlist = Playlist.objects.select_for_update(skip_locked=True).filter(pk=playlist_id).first()
            if playlist is None or playlist.next_refresh_at is None or playlist.next_refresh_at > now:
                continue  # another sweep took it, or it was rescheduled meanwhile
            playlist.next_refresh_at = now + REFRESH_INTERVALS[RefreshSchedule(playlist.refresh)]
            playlist.save(update_fields=["next_refresh_at"])
            if not playlist.versions.filter(status=VersionStatus.READY).exists():
                continue  # nothing to refresh from yet; tried again next time
            _version_queue(playlist, cause=VersionCause.REFRESH, change="", intent=_current_intent(playlist))
            queued += 1
    return queued


def _locked(playlist: Playlist) -> Playlist:
    return Playlist.objects.select_for_update().get(pk=playlist.pk)


def _current_intent(playlist: Playlist) -> dict:
    """The Intent of the latest ready version (a version still queued may not have compiled one)."""
    latest = playlist.versions.filter(status=VersionStatus.READY).order_by("-number").first()
    if latest is None:
        raise ApplicationError("This playlist has no finished version yet; wait for it or retry it.")
    return dict(latest.intent)


def _version_queue(
    playlist: Playlist, *, cause: str, change: str, intent: dict | None = None
) -> PlaylistVersion:
    number = (playlist.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = PlaylistVersion.objects.create(
        playlist=playlist, number=number, cause=cause, change=change, intent=intent or {}
    )
    _generation_enqueue(version)
    return version


def _generation_enqueue(version: PlaylistVersion) -> None:
    from playlists.tasks import generate_version

    generate_version.delay_on_commit(version.pk)  # type: ignore[attr-defined]


# --- generation (the Celery task's body) ------------------------------------------------------


def playlist_version_build(*, version_id: int) -> None:
    """Build one version: claim it, compose it, store it with everything chosen for it.
    Idempotent: a finished version is left alone, a re-run replaces its items."""
    version = _version_claim(version_id)
    if version is None:
        return
    try:
        result = composition_for_version(version, on_stage=lambda stage: _stage_record(version.pk, stage))
    except ApplicationError as error:
        _version_fail(version.pk, error.message)
        return
    except Exception:
        logger.exception("Generating playlist version %s failed", version.pk)
        _version_fail(version.pk, "Something went wrong while building this playlist. Try again.")
        raise
    _composition_store(version.pk, result)


@transaction.atomic
def _version_claim(version_id: int) -> PlaylistVersion | None:
    version = (
        PlaylistVersion.objects.select_for_update()
        .select_related("playlist__owner")
        .filter(pk=version_id)
        .first()
    )
    if version is None or version.status in (VersionStatus.READY, VersionStatus.FAILED):
        return None
    fresh_run = version.started_at and timezone.now() - version.started_at < STALE_RUN
    if version.status == VersionStatus.RUNNING and fresh_run:
        return None  # another worker has it
    version.status = VersionStatus.RUNNING
    version.started_at = timezone.now()
    version.stage = ""
    version.save(update_fields=["status", "started_at", "stage"])
    return version


def _stage_record(version_id: int, stage: str) -> None:
    # Autocommitted on its own, so the page polling for progress sees it at once.
    PlaylistVersion.objects.filter(pk=version_id).update(stage=stage)


def _version_fail(version_id: int, message: str) -> None:
    PlaylistVersion.objects.filter(pk=version_id).update(
        status=VersionStatus.FAILED, error=message, stage="", finished_at=timezone.now()
    )


@transaction.atomic
def _composition_store(version_id: int, result: GeneratedVersion) -> None:
    composition = result.composition
    version = PlaylistVersion.objects.select_for_update().select_related("playlist").get(pk=version_id)
    version.items.all().delete()
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            version=version,
            position=item.position + 1,  # the engine counts from 0, listeners from 1
            track_id=item.track_id,
            score=item.score,
            components=item.components,
            reasons=list(item.reasons),
        )
        for item in composition.items
    )
    version.intent = composition.intent.to_dict()
    version.stage_seconds = dict(composition.stage_seconds)
    version.weights = dict(composition.weights)
    version.relaxed = list(composition.relaxed)
    version.propensity = composition.propensity
    version.policy = result.policy
    version.personalized = result.personalized
    version.status = VersionStatus.READY
    version.stage = ""
    version.error = ""
    version.finished_at = timezone.now()
    version.save()
    # Which theme applied and which A/B variant built it: written by the apps that own them,
    # in this transaction, so a failed store leaves none of it behind.
    providers.version_choices_record(version=version, choices=result.choices)
    playlist = version.playlist
    playlist.intent = version.intent
    _name_follow(playlist)
    playlist.save(update_fields=["intent", "name", "updated_at"])
    stage_seconds = dict(version.stage_seconds)
    transaction.on_commit(lambda: metrics_record_generation(stage_seconds))
    # Copies pushed to the listener's media servers follow each new version (refine, refresh).
    subsonic_pushes_follow(
        user_id=playlist.owner_id,
        playlist_id=playlist.pk,
        name=playlist.name,
        version_number=version.number,
        track_ids=[item.track_id for item in composition.items],
    )


def _name_follow(playlist: Playlist) -> None:
    """A playlist the listener has not renamed is named after what its latest version was made
    from (its generated title), so the name follows each new version."""
    if not playlist.named_by_listener:
        playlist.name = generated_title(prompt=playlist.prompt, intent=playlist.intent)[:NAME_MAX_LENGTH]


def playlist_push(*, playlist: Playlist, link: SubsonicLink) -> SubsonicPush:
    """Push the playlist's latest ready version to the owner's account on a media server (created
    there, or replaced when pushed before); later versions follow by themselves."""
    if link.user_id != playlist.owner_id:
        raise ApplicationError("No such media server link.")
    version = playlist.versions.filter(status=VersionStatus.READY).order_by("-number").first()
    if version is None:
        raise ApplicationError("This playlist has no finished version to push yet.")
    track_ids = list(version.items.order_by("position").values_list("track_id", flat=True))
    return subsonic_playlist_push(
        user=playlist.owner,
        link=link,
        playlist_id=playlist.pk,
        name=playlist.name,
        version_number=version.number,
        track_ids=track_ids,
    )


PLAYLIST_VERSION_JOB = "playlist_version"  # its heartbeat kind (config.jobs)
# A version may wait in the queue behind others: stale when queued this many times longer.
VERSION_QUEUED_STALE_FACTOR = 6


def playlist_versions_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the versions whose generation was lost with its worker: running past ``stale_after``
    (longer than the task's hard time limit), or queued past VERSION_QUEUED_STALE_FACTOR times
    that. A failed version offers its retry (``playlist_version_retry``)."""

    def fail(version: PlaylistVersion) -> None:
        version.status = VersionStatus.FAILED
        version.error = f"{LOST_WORKER_MESSAGE} Retry to build it again."
        version.stage = ""
        version.finished_at = timezone.now()
        version.save(update_fields=["status", "error", "stage", "finished_at"])

    running = jobs_sweep_stale(
        kind=PLAYLIST_VERSION_JOB,
        unfinished=PlaylistVersion.objects.filter(status=VersionStatus.RUNNING),
        started_field="started_at",
        stale_after=stale_after,
        fail=fail,
    )
    queued = jobs_sweep_stale(
        kind=PLAYLIST_VERSION_JOB,
        unfinished=PlaylistVersion.objects.filter(status=VersionStatus.QUEUED),
        started_field="created_at",
        stale_after=stale_after * VERSION_QUEUED_STALE_FACTOR,
        fail=fail,
    )
    return running + queued
