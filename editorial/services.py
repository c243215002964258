"""Writes of the editorial desk's rules: themes, pins, boosted artists and blocks, and the input
rules every desk write shares. Curator actions take ``actor`` and write an audit entry in the same
transaction. Listener reports and the review queue are in ``review_services``, editorial
playlists in ``playlist_services``."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from catalog.models import Artist, Track
from config.errors import ApplicationError
from editorial.audit import audit_record, snapshot
from editorial.models import (
    REASON_MAX_LENGTH,
    THEME_NAME_MAX_LENGTH,
    ArtistBoost,
    AuditEntry,
    Block,
    BoostStatus,
    Theme,
    ThemePin,
)

THEME_FIELDS = ("name", "description", "example_prompts", "is_active")
PIN_FIELDS = ("theme", "track", "position", "starts_at", "ends_at")
BLOCK_FIELDS = ("theme", "track", "artist", "reason")
BOOST_FIELDS = ("theme", "artist", "status", "note")
EXAMPLE_PROMPTS_MAX = 20
ERASED_ACTOR = "(erased account)"


# --- input rules --------------------------------------------------------------------------


def text_clean(value: str) -> str:
    return " ".join((value or "").split())


def _control_characters_refuse(value: str, *, what: str) -> None:
    """Control characters (NUL, escape, bell…) in text curators and listeners read are refused;
    line breaks and tabs in longer text are fine."""
    if any(unicodedata.category(char) == "Cc" and char not in "\n\r\t" for char in value or ""):
        raise ApplicationError(f"{what} must not contain control characters.")


def _reason_clean(reason: str, *, what: str = "a reason") -> str:
    cleaned = text_clean(reason)
    if not cleaned:
        raise ApplicationError(f"Give {what}: the audit log and other curators will read it.")
    if len(cleaned) > REASON_MAX_LENGTH:
        raise ApplicationError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    return cleaned


def _theme_name_clean(name: str, *, theme_id: int | None = None) -> str:
    _control_characters_refuse(name, what="The theme name")
    cleaned = text_clean(name)
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
    cleaned = [text for text in (text_clean(example) for example in examples) if text]
    if len(cleaned) > EXAMPLE_PROMPTS_MAX:
        raise ApplicationError(f"Give at most {EXAMPLE_PROMPTS_MAX} example prompts.")
    return list(dict.fromkeys(cleaned))


def track_existing(track_id: int | None) -> Track:
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
    track = track_existing(track_id)
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
    track = track_existing(track_id) if track_id else None
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
        theme=theme, artist=artist, status=status, note=text_clean(note), created_by=actor
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
