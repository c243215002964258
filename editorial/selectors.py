"""Reads of the editorial desk. Curator reads are reached only through curator-guarded views
and APIs; what listeners read (published editorial playlists) is marked as such."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower, Trim
from django.shortcuts import get_object_or_404
from django.utils import timezone

from catalog.models import Artist, TrackArtist
from editorial.exposure import LONG_TAIL_POPULARITY, Exposed, ExposureCount, exposure_summary, most_exposed
from editorial.models import (
    AuditEntry,
    Block,
    EditorialItem,
    EditorialPlaylist,
    QueueReason,
    QueueSnapshot,
    Report,
    ReviewItem,
    ReviewStatus,
    Theme,
    TrackDecision,
    VersionTheme,
)
from editorial.outcomes import skip_rate
from feedback.models import ListeningEvent
from playlists.models import Playlist, PlaylistItem, VersionStatus


def _tracks_with_artists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("track").prefetch_related(
        Prefetch(
            "track__track_artists", queryset=TrackArtist.objects.select_related("artist").order_by("position")
        )
    )


# --- themes ---------------------------------------------------------------------------------


def theme_list() -> QuerySet[Theme]:
    return Theme.objects.annotate(
        pin_count=Count("pins", distinct=True),
        block_count=Count("blocks", distinct=True),
        boost_count=Count("boosts", distinct=True),
    ).order_by(Lower("name"))


def theme_get(*, theme_id: int) -> Theme:
    return get_object_or_404(Theme, pk=theme_id)


def theme_pins(*, theme: Theme) -> QuerySet:
    return _tracks_with_artists(theme.pins.all()).order_by("position", "id")


def block_list(*, theme: Theme | None = None, global_only: bool = False) -> QuerySet[Block]:
    blocks = Block.objects.select_related("track", "artist", "theme", "created_by")
    if theme is not None:
        return blocks.filter(theme=theme)
    return blocks.filter(theme__isnull=True) if global_only else blocks


# --- the review queue ------------------------------------------------------------------------


def queue_counts() -> dict[str, int]:
    counts = dict(
        ReviewItem.objects.filter(status=ReviewStatus.OPEN)
        .values("reason")
        .annotate(n=Count("pk"))
        .values_list("reason", "n")
    )
    return {reason: counts.get(reason, 0) for reason in QueueReason.values}


def review_queue(*, reason: str = "", status: str = ReviewStatus.OPEN) -> QuerySet[ReviewItem]:
    items = ReviewItem.objects.filter(status=status).select_related(
        "version__playlist", "version__editorial_match__theme", "resolved_by"
    )
    if reason:
        items = items.filter(reason=reason)
    return items.annotate(decided=Count("decisions")).order_by("created_at", "id")


@dataclass
class ReviewContext:
    item: ReviewItem
    theme: Theme | None
    similarity: float | None
    items: list[PlaylistItem]
    decisions: dict[int, str]
    reports: list[Report]
    reported_track_ids: set[int] = field(default_factory=set)


def review_context(*, item_id: int) -> ReviewContext:
    item = get_object_or_404(ReviewItem.objects.select_related("version__playlist"), pk=item_id)
    match = VersionTheme.objects.select_related("theme").filter(version_id=item.version_id).first()
    reports = list(Report.objects.filter(version_id=item.version_id).select_related("track"))
    return ReviewContext(
        item=item,
        theme=match.theme if match else None,
        similarity=match.similarity if match else None,
        items=list(_tracks_with_artists(item.version.items.all()).order_by("position")),
        decisions=dict(TrackDecision.objects.filter(item=item).values_list("track_id", "verdict")),
        reports=reports,
        reported_track_ids={report.track_id for report in reports if report.track_id},
    )


# --- the audit log ---------------------------------------------------------------------------


def audit_list(
    *, actor: str = "", action: str = "", target_type: str = "", since: datetime | None = None
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if actor:
        entries = entries.filter(actor_email__icontains=actor)
    if action:
        entries = entries.filter(action__startswith=action)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if since:
        entries = entries.filter(created_at__gte=since)
    return entries.order_by("-created_at", "-id")


def audit_actions() -> list[str]:
    return sorted(
        {action.split(".")[0] for action in AuditEntry.objects.values_list("action", flat=True).distinct()}
    )


# --- dashboards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelCount:
    label: str
    count: int


def top_prompts(*, days: int = 30, limit: int = 10) -> list[LabelCount]:
    since = timezone.now() - timedelta(days=days)
    rows = (
        Playlist.objects.filter(created_at__gte=since)
        .annotate(key=Lower(Trim("prompt")))
        .values("key")
        .annotate(n=Count("pk"))
        .order_by("-n", "key")[:limit]
    )
    return [LabelCount(row["key"], row["n"]) for row in rows]


def theme_matches(*, days: int = 30) -> list[LabelCount]:
    """How many generated versions got each theme's rules (and how many none), most first."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        VersionTheme.objects.filter(created_at__gte=since)
        .values("theme__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "theme__name")
    )
    return [LabelCount(row["theme__name"] or "(no theme)", row["n"]) for row in rows]


@dataclass(frozen=True)
class PromptSkipRate:
    prompt: str
    ended: int  # tracks played from it that were skipped or completed
    skip_rate: float  # editorial.outcomes.skip_rate


SKIP_RATE_MIN_ENDED = 5  # ended plays a prompt needs before its skip rate means much


def prompt_skip_rates(*, days: int = 30, limit: int = 10) -> list[PromptSkipRate]:
    """Prompts whose generated playlists are skipped most over the last ``days``."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        ListeningEvent.objects.filter(
            version__isnull=False, occurred_at__gte=since, kind__in=("skip", "complete")
        )
        .annotate(prompt=Lower("version__playlist__prompt"))
        .values("prompt")
        .annotate(
            skips=Count("pk", filter=Q(kind="skip")),
            completions=Count("pk", filter=Q(kind="complete")),
            ended=Count("pk"),
        )
        .filter(ended__gte=SKIP_RATE_MIN_ENDED)
    )
    rates = [
        PromptSkipRate(
            row["prompt"], row["ended"], skip_rate(skips=row["skips"], completions=row["completions"])
        )
        for row in rows
    ]
    return sorted(rates, key=lambda rate: (-rate.skip_rate, -rate.ended))[:limit]


# Placements and their exposure, as editorial.exposure defines them, for the desk home and the
# fairness page alike: both read these, so they report the same numbers on the same data.

# editorial.exposure.is_long_tail, in SQL, for a PlaylistItem queryset.
LONG_TAIL = Q(track__popularity__lt=LONG_TAIL_POPULARITY) | Q(track__popularity__isnull=True)


def exposure_placements(*, since: datetime) -> QuerySet[PlaylistItem]:
    """Placements (items of ready versions finished since ``since``), each annotated with
    ``lead_artist``: the track's artist at the lowest position (ties: lowest id)."""
    lead = (
        TrackArtist.objects.filter(track_id=OuterRef("track_id"))
        .order_by("position", "artist_id")
        .values("artist_id")[:1]
    )
    return PlaylistItem.objects.filter(
        version__status=VersionStatus.READY, version__finished_at__gte=since
    ).annotate(lead_artist=Subquery(lead))


def exposure_counts(placements: QuerySet[PlaylistItem], *group_by: str) -> QuerySet:
    """Placements and long-tail placements per lead artist (and per ``group_by`` fields)."""
    return (
        placements.values(*group_by, "lead_artist")
        .annotate(placements=Count("pk"), long_tail=Count("pk", filter=LONG_TAIL))
        .order_by()
    )


def exposure_count(row: dict) -> ExposureCount:
    return ExposureCount(row["lead_artist"], row["placements"], row["long_tail"])


@dataclass(frozen=True)
class ExposedArtist:
    artist: Artist
    exposure: Exposed


@dataclass(frozen=True)
class ArtistExposure:
    placements: int
    artists: int
    gini: float
    long_tail_share: float
    top: list[ExposedArtist]


def artist_exposure(*, days: int = 30, limit: int = 10) -> ArtistExposure:
    """How generated playlists of the last ``days`` spread their placements over artists."""
    since = timezone.now() - timedelta(days=days)
    summary = exposure_summary(
        exposure_count(row) for row in exposure_counts(exposure_placements(since=since))
    )
    exposed = most_exposed(summary.per_artist, limit=limit)
    artists = Artist.objects.in_bulk([row.artist_id for row in exposed])
    return ArtistExposure(
        placements=summary.placements,
        artists=summary.artists,
        gini=summary.gini,
        long_tail_share=summary.long_tail_share,
        top=[ExposedArtist(artists[row.artist_id], row) for row in exposed if row.artist_id in artists],
    )


@dataclass(frozen=True)
class QueueHistory:
    labels: list[str]
    series: dict[str, list[float]]


def queue_history(*, days: int = 14) -> QueueHistory:
    since = timezone.now() - timedelta(days=days)
    by_time: dict[datetime, dict[str, int]] = defaultdict(dict)
    for snapshot in QueueSnapshot.objects.filter(taken_at__gte=since).order_by("taken_at"):
        by_time[snapshot.taken_at][snapshot.reason] = snapshot.open_count
    times = sorted(by_time)
    return QueueHistory(
        labels=[timezone.localtime(moment).strftime("%b %d %H:%M") for moment in times],
        series={
            QueueReason(reason).label: [float(by_time[moment].get(reason, 0)) for moment in times]
            for reason in QueueReason.values
        },
    )


# --- editorial playlists --------------------------------------------------------------------


def editorial_playlist_list(*, published_only: bool) -> QuerySet[EditorialPlaylist]:
    playlists = EditorialPlaylist.objects.annotate(track_count=Count("items"))
    if published_only:
        # Published ones stay visible while a curator rebuilds them (or a rebuild failed).
        return playlists.filter(published_at__isnull=False).order_by("-published_at", "-id")
    return playlists.order_by("-updated_at", "-id")


def editorial_playlist_get(*, playlist_id: int, published_only: bool) -> EditorialPlaylist:
    """Listeners reach only published playlists (another is a 404); curators reach every one."""
    scope = Q(published_at__isnull=False) if published_only else Q()
    return get_object_or_404(EditorialPlaylist.objects.filter(scope), pk=playlist_id)


def editorial_items(*, playlist: EditorialPlaylist) -> list[EditorialItem]:
    return list(_tracks_with_artists(playlist.items.all()).order_by("position"))
