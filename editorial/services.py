"""Every write of the editorial desk. Curator actions take ``actor`` and write an audit entry
in the same transaction; the engine-facing rules and the queue's scans are in here too."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Model
from django.utils import timezone

from accounts.models import User
from catalog.models import Artist, Track, TrackArtist
from config.errors import ApplicationError
from editorial.audit import audit_record, snapshot
from editorial.models import (
    REASON_MAX_LENGTH,
    THEME_NAME_MAX_LENGTH,
    ArtistBoost,
    AuditEntry,
    Block,
    BoostStatus,
    EditorialItem,
    EditorialPlaylist,
    EditorialStatus,
    QueueReason,
    QueueSnapshot,
    Report,
    ReviewItem,
    ReviewStatus,
    Theme,
    ThemePin,
    TrackDecision,
    Verdict,
    VersionTheme,
)
from editorial.review_triggers import intent_confidence, prompt_key, rising_prompts
from playlists.models import Playlist, PlaylistVersion, VersionStatus
from playlists.providers import GenerationChoices

THEME_FIELDS = ("name", "description", "example_prompts", "is_active")
PIN_FIELDS = ("theme", "track", "position", "starts_at", "ends_at")
BLOCK_FIELDS = ("theme", "track", "artist", "reason")
BOOST_FIELDS = ("theme", "artist", "status", "note")
PLAYLIST_FIELDS = ("name", "description", "status", "revision")
EXAMPLE_PROMPTS_MAX = 20
ERASED_ACTOR = "(erased account)"
Row = tuple[int, bool, list[str]]  # an editorial playlist's track: id, pinned, reasons
STALE_EDIT_MESSAGE = (
    "Someone else changed this playlist since you opened it (now at revision {current}, you had "
    "{yours}). Reload to see their changes; nothing of yours was saved."
)


# --- input rules --------------------------------------------------------------------------


def _text(value: str) -> str:
    return " ".join((value or "").split())


def _control_characters_refuse(value: str, *, what: str) -> None:
    """Control characters (NUL, escape, bell…) in text curators and listeners read are refused;
    line breaks and tabs in longer text are fine."""
    if any(unicodedata.category(char) == "Cc" and char not in "\n\r\t" for char in value or ""):
        raise ApplicationError(f"{what} must not contain control characters.")


def _reason_clean(reason: str, *, what: str = "a reason") -> str:
    cleaned = _text(reason)
    if not cleaned:
        raise ApplicationError(f"Give {what}: the audit log and other curators will read it.")
    if len(cleaned) > REASON_MAX_LENGTH:
        raise ApplicationError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    return cleaned


def _theme_name_clean(name: str, *, theme_id: int | None = None) -> str:
    _control_characters_refuse(name, what="The theme name")
    cleaned = _text(name)
    if not cleaned:
        raise ApplicationError("A theme needs a name, e.g. “Emerging jazz”.")
    if len(cleaned) > THEME_NAME_MAX_LENGTH:
        raise ApplicationError(f"Keep the theme name under {THEME_NAME_MAX_LENGTH} characters.")
    namesakes = Theme.objects.filter(name__iexact=cleaned)
    if theme_id is not None:
        namesakes = namesakes.exclude(pk=theme_id)
    if namesakes.exists():
        raise ApplicationError(f"A theme named “{cleaned}” exists already.")
    return cleaned


def _examples_clean(examples: Iterable[str]) -> list[str]:
    examples = list(examples)
    for example in examples:
        _control_characters_refuse(example, what="An example prompt")
    cleaned = [text for text in (_text(example) for example in examples) if text]
    if len(cleaned) > EXAMPLE_PROMPTS_MAX:
        raise ApplicationError(f"Give at most {EXAMPLE_PROMPTS_MAX} example prompts.")
    return list(dict.fromkeys(cleaned))


def _track(track_id: int | None) -> Track:
    track = None if track_id is None else Track.objects.filter(pk=track_id).first()
    if track is None:
        raise ApplicationError(f"Track {track_id} is not in the catalog (it may have been deleted).")
    return track


def _artist(artist_id: int | None) -> Artist:
    artist = None if artist_id is None else Artist.objects.filter(pk=artist_id).first()
    if artist is None:
        raise ApplicationError(f"Artist {artist_id} is not in the catalog (it may have been deleted).")
    return artist


def _audited_delete(
    *, actor: User, instance: Model, action: str, fields: tuple[str, ...], summary: str
) -> None:
    audit_record(
        actor=actor, action=action, target=instance, summary=summary, before=snapshot(instance, fields)
    )
    instance.delete()


@transaction.atomic
def audit_actor_forget(*, user: User) -> None:
    """Erasure hook: a curator's audit entries stay (the desk's record) but no longer name them."""
    AuditEntry.objects.filter(actor=user).update(actor=None, actor_email=ERASED_ACTOR)


# --- themes -------------------------------------------------------------------------------


def _match_texts_check(theme: Theme) -> None:
    if not theme.match_texts():
        raise ApplicationError(
            "Describe the theme or give an example prompt: prompts are matched against them."
        )


def theme_check(
    *, name: str, description: str, example_prompts: Sequence[str], theme_id: int | None = None
) -> tuple[str, str, list[str]]:
    """The theme's fields cleaned, or an ApplicationError saying what is wrong (no write)."""
    _control_characters_refuse(description, what="The description")
    cleaned = (
        _theme_name_clean(name, theme_id=theme_id),
        description.strip(),
        _examples_clean(example_prompts),
    )
    _match_texts_check(Theme(name=cleaned[0], description=cleaned[1], example_prompts=cleaned[2]))
    return cleaned


@transaction.atomic
def theme_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    example_prompts: Sequence[str] = (),
    is_active: bool = True,
) -> Theme:
    name, description, examples = theme_check(
        name=name, description=description, example_prompts=example_prompts
    )
    theme = Theme.objects.create(
        name=name, description=description, example_prompts=examples, is_active=is_active
    )
    audit_record(
        actor=actor,
        action="theme.create",
        target=theme,
        summary=theme.name,
        after=snapshot(theme, THEME_FIELDS),
    )
    return theme


@transaction.atomic
def theme_update(
    *,
    actor: User,
    theme: Theme,
    name: str,
    description: str,
    example_prompts: Sequence[str],
    is_active: bool | None = None,
) -> Theme:
    """Replace the theme's texts; ``is_active`` None keeps the theme as active as it was."""
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    before = snapshot(theme, THEME_FIELDS)
    theme.name, theme.description, theme.example_prompts = theme_check(
        name=name, description=description, example_prompts=example_prompts, theme_id=theme.pk
    )
    if is_active is not None:
        theme.is_active = is_active
    theme.save()
    audit_record(
        actor=actor,
        action="theme.update",
        target=theme,
        summary=theme.name,
        before=before,
        after=snapshot(theme, THEME_FIELDS),
    )
    return theme


@transaction.atomic
def theme_delete(*, actor: User, theme: Theme) -> None:
    _audited_delete(
        actor=actor, instance=theme, action="theme.delete", fields=THEME_FIELDS, summary=theme.name
    )


# --- pins, boosts, blocks -----------------------------------------------------------------


@transaction.atomic
def pin_create(
    *,
    actor: User,
    theme: Theme,
    track_id: int,
    position: int = 1,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    now: datetime | None = None,
) -> ThemePin:
    """Pin a track into a theme's playlists at ``position`` (1 = first) from ``starts_at``
    (default now) until ``ends_at`` (default: until unpinned)."""
    track, starts_at = pin_check(
        theme=theme, track_id=track_id, position=position, starts_at=starts_at, ends_at=ends_at, now=now
    )
    pin = ThemePin.objects.create(
        theme=theme, track=track, position=position, starts_at=starts_at, ends_at=ends_at, created_by=actor
    )
    audit_record(
        actor=actor,
        action="pin.create",
        target=pin,
        summary=f"{track.title} in {theme.name} at {position}",
        after=snapshot(pin, PIN_FIELDS),
    )
    return pin


def pin_check(
    *,
    theme: Theme,
    track_id: int,
    position: int,
    starts_at: datetime | None,
    ends_at: datetime | None,
    now: datetime | None = None,
) -> tuple[Track, datetime]:
    """The pinned track and the window's start, or an ApplicationError (no write)."""
    now = now or timezone.now()
    track = _track(track_id)
    starts_at = starts_at or now
    if not 1 <= position <= 200:
        raise ApplicationError("A pin's position is between 1 and 200.")
    if ends_at is not None and ends_at <= starts_at:
        raise ApplicationError("The pin window ends before it starts; pick an end after the start.")
    if ends_at is not None and ends_at <= now:
        raise ApplicationError("The pin window is already over; pick an end date in the future.")
    if ThemePin.objects.filter(theme=theme, track=track).exists():
        raise ApplicationError(
            f"“{track.title}” is pinned in this theme already; unpin it first to change it."
        )
    return track, starts_at


@transaction.atomic
def pin_delete(*, actor: User, pin: ThemePin) -> None:
    _audited_delete(actor=actor, instance=pin, action="pin.delete", fields=PIN_FIELDS, summary=str(pin))


@transaction.atomic
def block_create(
    *,
    actor: User,
    reason: str,
    track_id: int | None = None,
    artist_id: int | None = None,
    theme: Theme | None = None,
) -> Block:
    """Block a track or an artist everywhere (``theme`` None) or in one theme's playlists."""
    reason, track, artist = block_check(reason=reason, track_id=track_id, artist_id=artist_id, theme=theme)
    block = Block.objects.create(theme=theme, track=track, artist=artist, reason=reason, created_by=actor)
    what = track.title if track else artist.name if artist else ""
    audit_record(
        actor=actor,
        action="block.create",
        target=block,
        summary=f"{what} blocked {'in ' + theme.name if theme else 'everywhere'}: {reason}",
        after=snapshot(block, BLOCK_FIELDS),
    )
    return block


def block_check(
    *, reason: str, track_id: int | None, artist_id: int | None, theme: Theme | None
) -> tuple[str, Track | None, Artist | None]:
    """The block's reason and target, or an ApplicationError (no write)."""
    if bool(track_id) == bool(artist_id):
        raise ApplicationError("Block either a track or an artist.")
    reason = _reason_clean(reason)
    track = _track(track_id) if track_id else None
    artist = _artist(artist_id) if artist_id else None
    if Block.objects.filter(theme=theme, track=track, artist=artist).exists():
        raise ApplicationError("That block exists already.")
    return reason, track, artist


@transaction.atomic
def block_delete(*, actor: User, block: Block) -> None:
    _audited_delete(
        actor=actor, instance=block, action="block.delete", fields=BLOCK_FIELDS, summary=str(block)
    )


@transaction.atomic
def boost_create(
    *, actor: User, theme: Theme, artist_id: int, note: str = "", status: str = BoostStatus.ACTIVE
) -> ArtistBoost:
    artist = _artist(artist_id)
    if ArtistBoost.objects.filter(theme=theme, artist=artist).exists():
        raise ApplicationError(f"{artist.name} is boosted in this theme already.")
    boost = ArtistBoost.objects.create(
        theme=theme, artist=artist, status=status, note=_text(note), created_by=actor
    )
    audit_record(
        actor=actor,
        action="boost.create",
        target=boost,
        summary=f"{artist.name} in {theme.name} ({status})",
        after=snapshot(boost, BOOST_FIELDS),
    )
    return boost


@transaction.atomic
def boost_accept(*, actor: User, boost: ArtistBoost) -> ArtistBoost:
    boost = ArtistBoost.objects.select_for_update().get(pk=boost.pk)
    before = snapshot(boost, BOOST_FIELDS)
    boost.status = BoostStatus.ACTIVE
    boost.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="boost.accept",
        target=boost,
        summary=str(boost),
        before=before,
        after=snapshot(boost, BOOST_FIELDS),
    )
    return boost


@transaction.atomic
def boost_delete(*, actor: User, boost: ArtistBoost) -> None:
    _audited_delete(
        actor=actor, instance=boost, action="boost.delete", fields=BOOST_FIELDS, summary=str(boost)
    )


# --- the engine's side: rules for a version -----------------------------------------------


@transaction.atomic
def version_theme_record(version: PlaylistVersion, choices: GenerationChoices) -> None:
    """Generation's recorder (``playlists.providers``): which theme's rules applied to
    ``version``. Runs in the transaction that stores the version; a re-run replaces it."""
    VersionTheme.objects.update_or_create(
        version_id=version.pk,
        defaults={"theme_id": choices.rules.theme_id, "similarity": choices.rules.similarity},
    )


# --- listener reports and the review queue -----------------------------------------------


@transaction.atomic
def report_create(
    *, reporter: User, playlist: Playlist, track_id: int | None = None, reason: str = ""
) -> Report:
    """A listener's report on their playlist (or one of its tracks); it opens a review item."""
    version = playlist.versions.filter(status=VersionStatus.READY).order_by("-number").first()
    if version is None:
        raise ApplicationError("This playlist has no finished version to report yet.")
    if track_id is not None and not version.items.filter(track_id=track_id).exists():
        raise ApplicationError("That track is not in this playlist.")
    reason = _text(reason)
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(f"Keep the report under {REASON_MAX_LENGTH} characters.")
    report = Report.objects.create(
        reporter=reporter, playlist=playlist, version=version, track_id=track_id, reason=reason
    )
    count = Report.objects.filter(version=version).count()
    _review_open(
        version_id=version.pk,
        reason=QueueReason.REPORT,
        detail=f"{count} listener report{'s' if count > 1 else ''}",
    )
    return report


def _review_open(*, version_id: int, reason: str, detail: str) -> ReviewItem:
    item, created = ReviewItem.objects.get_or_create(
        version_id=version_id,
        reason=reason,
        status=ReviewStatus.OPEN,
        defaults={"detail": detail[:REASON_MAX_LENGTH]},
    )
    if not created and item.detail != detail:
        item.detail = detail[:REASON_MAX_LENGTH]
        item.save(update_fields=["detail"])
    return item


def review_scan(*, now: datetime | None = None) -> int:
    """Flag what the desk should look at: recent versions parsed with low confidence, and the
    latest version of each prompt rising in popularity. Idempotent; returns items opened."""
    now = now or timezone.now()
    opened = _flag_low_confidence(since=now - timedelta(seconds=settings.EDITORIAL_SCAN_WINDOW_SECONDS))
    return opened + _flag_rising(now=now)


@transaction.atomic
def _flag_low_confidence(*, since: datetime) -> int:
    threshold = settings.EDITORIAL_LOW_CONFIDENCE
    recent = PlaylistVersion.objects.filter(status=VersionStatus.READY, finished_at__gte=since).exclude(
        review_items__reason=QueueReason.LOW_CONFIDENCE
    )
    opened = 0
    for version_id, intent in recent.values_list("pk", "intent"):
        confidence = intent_confidence(intent or {})
        if confidence < threshold:
            _review_open(
                version_id=version_id,
                reason=QueueReason.LOW_CONFIDENCE,
                detail=f"confidence {confidence:.2f}",
            )
            opened += 1
    return opened


@transaction.atomic
def _flag_rising(*, now: datetime) -> int:
    recent_window = timedelta(hours=settings.EDITORIAL_RISING_RECENT_HOURS)
    earlier_window = timedelta(hours=settings.EDITORIAL_RISING_EARLIER_HOURS)
    recent = _prompt_counts(since=now - recent_window, until=now)
    earlier = _prompt_counts(since=now - recent_window - earlier_window, until=now - recent_window)
    risers = rising_prompts(
        recent,
        earlier,
        window_ratio=earlier_window / recent_window,
        min_count=settings.EDITORIAL_RISING_MIN_COUNT,
        min_growth=settings.EDITORIAL_RISING_MIN_GROWTH,
    )
    opened = 0
    for rising in risers:
        version = _latest_version_for_prompt(rising.prompt, since=now - recent_window)
        if version is None or version.review_items.filter(reason=QueueReason.RISING).exists():
            continue
        _review_open(
            version_id=version.pk,
            reason=QueueReason.RISING,
            detail=f"“{rising.prompt}”: {rising.recent} requests lately, ×{rising.ratio} the earlier rate",
        )
        opened += 1
    return opened


def _prompt_counts(*, since: datetime, until: datetime) -> Counter[str]:
    prompts = Playlist.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
        "prompt", flat=True
    )
    return Counter(prompt_key(prompt) for prompt in prompts)


def _latest_version_for_prompt(key: str, *, since: datetime) -> PlaylistVersion | None:
    candidates = PlaylistVersion.objects.filter(
        status=VersionStatus.READY, playlist__created_at__gte=since, playlist__prompt__iexact=key
    )
    return candidates.order_by("-finished_at").first()


@transaction.atomic
def review_decide(*, actor: User, item: ReviewItem, track_id: int, verdict: str) -> TrackDecision:
    """Approve or reject one track of a reviewed playlist. A rejection blocks the track in the
    version's theme (everywhere when it had none); an approval makes its artist a candidate
    boost of the theme. Deciding again on the same track is refused."""
    item = ReviewItem.objects.select_for_update().select_related("version").get(pk=item.pk)
    if verdict not in Verdict.values:
        raise ApplicationError("Approve or reject.")
    if item.status != ReviewStatus.OPEN:
        raise ApplicationError("This review is closed already.")
    if not item.version.items.filter(track_id=track_id).exists():
        raise ApplicationError("That track is not in the reviewed playlist.")
    if TrackDecision.objects.filter(item=item, track_id=track_id).exists():
        raise ApplicationError("This track was decided already in this review.")
    decision = TrackDecision.objects.create(item=item, track_id=track_id, verdict=verdict, decided_by=actor)
    theme = _version_theme(item.version_id)
    if verdict == Verdict.REJECT:
        _reject_as_block(actor=actor, item=item, track_id=track_id, theme=theme)
    elif theme is not None:
        _approve_as_candidate(actor=actor, track_id=track_id, theme=theme)
    audit_record(
        actor=actor,
        action=f"review.{verdict}",
        target=decision,
        summary=f"track {track_id} in review {item.pk} ({item.get_reason_display()})",
        after={"item": item.pk, "track": track_id, "verdict": verdict, "theme": theme.pk if theme else None},
    )
    return decision


def _version_theme(version_id: int) -> Theme | None:
    match = VersionTheme.objects.select_related("theme").filter(version_id=version_id).first()
    return match.theme if match else None


def _reject_as_block(*, actor: User, item: ReviewItem, track_id: int, theme: Theme | None) -> None:
    if Block.objects.filter(theme=theme, track_id=track_id).exists():
        return
    block_create(
        actor=actor,
        track_id=track_id,
        theme=theme,
        reason=f"Rejected in review ({item.get_reason_display().lower()})",
    )


def _approve_as_candidate(*, actor: User, track_id: int, theme: Theme) -> None:
    credit = TrackArtist.objects.filter(track_id=track_id).order_by("position").first()
    if credit is None or ArtistBoost.objects.filter(theme=theme, artist_id=credit.artist_id).exists():
        return
    boost_create(
        actor=actor,
        theme=theme,
        artist_id=credit.artist_id,
        status=BoostStatus.CANDIDATE,
        note="Approved in review",
    )


@transaction.atomic
def review_resolve(*, actor: User, item: ReviewItem) -> ReviewItem:
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise ApplicationError("This review is closed already.")
    item.status = ReviewStatus.DONE
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    item.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit_record(
        actor=actor,
        action="review.resolve",
        target=item,
        summary=f"{item.get_reason_display()} on version {item.version_id}",
        before={"status": ReviewStatus.OPEN},
        after={"status": ReviewStatus.DONE},
    )
    return item


@transaction.atomic
def queue_snapshot(*, now: datetime | None = None) -> list[QueueSnapshot]:
    """Record how many items wait per reason now (the dashboards chart these)."""
    taken_at = (now or timezone.now()).replace(second=0, microsecond=0)
    counts = dict(
        ReviewItem.objects.filter(status=ReviewStatus.OPEN)
        .values("reason")
        .annotate(n=Count("pk"))
        .values_list("reason", "n")
    )
    return [
        QueueSnapshot.objects.update_or_create(
            taken_at=taken_at, reason=reason, defaults={"open_count": counts.get(reason, 0)}
        )[0]
        for reason in QueueReason.values
    ]


# --- editorial playlists ------------------------------------------------------------------


@transaction.atomic
def editorial_playlist_create(
    *, actor: User, name: str, prompt: str, description: str = ""
) -> EditorialPlaylist:
    """A new editorial playlist, built from ``prompt`` by a worker (status ``building``)."""
    from playlists.services import prompt_clean

    name = _text(name)
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
    from editorial.tasks import build_editorial_playlist

    build_editorial_playlist.delay_on_commit(playlist_id=playlist.pk)  # type: ignore[attr-defined]


def editorial_playlist_build(*, playlist_id: int) -> None:
    """Compose the playlist from its prompt with the desk's rules, keeping pinned items where
    they are; idempotent: only a playlist in ``building`` is built."""
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
    from editorial.tasks import BUILD_TIME_LIMIT_SECONDS

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
        track = _track(track_id)
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
    cleaned = _text(name)
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
