"""Listener reports and the review queue: what opens a review item (a report, a low-confidence
parse, a rising prompt), a curator's verdicts on its tracks, and the queue's daily snapshot."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from catalog.models import TrackArtist
from config.errors import ApplicationError
from editorial.audit import audit_record
from editorial.models import (
    REASON_MAX_LENGTH,
    ArtistBoost,
    Block,
    BoostStatus,
    QueueReason,
    QueueSnapshot,
    Report,
    ReviewItem,
    ReviewStatus,
    Theme,
    TrackDecision,
    Verdict,
    VersionTheme,
)
from editorial.review_triggers import intent_confidence, prompt_key, rising_prompts
from editorial.services import block_create, boost_create, text_clean
from playlists.models import Playlist, PlaylistVersion, VersionStatus

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
    reason = text_clean(reason)
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
