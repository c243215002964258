"""The editorial desk: themes with pins and boosted artists, blocks, listener reports, the
review queue, editorial playlists and the audit log of every curator action."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

THEME_NAME_MAX_LENGTH = 120
REASON_MAX_LENGTH = 500


class Theme(models.Model):
    """A kind of playlist the desk cares about; prompts close to it get its rules."""

    name = models.CharField(max_length=THEME_NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    example_prompts = models.JSONField(default=list, blank=True, help_text="Prompts this theme is for.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="editorial_theme_name_not_empty"),
            models.UniqueConstraint(Lower("name"), name="editorial_theme_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def match_texts(self) -> tuple[str, ...]:
        """What a prompt is compared with: the description and every example prompt."""
        return tuple(text for text in (self.description, *self.example_prompts) if text.strip())


class PinQuerySet(models.QuerySet["ThemePin"]):
    def active(self, *, now: datetime | None = None) -> PinQuerySet:
        now = now or timezone.now()
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now), starts_at__lte=now)


class ThemePin(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="pins")
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="editorial_pins")
    position = models.PositiveSmallIntegerField(default=1, help_text="1 is the first track.")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: until unpinned.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PinQuerySet.as_manager()

    class Meta:
        ordering = ["theme", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "track"], name="editorial_pin_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="editorial_pin_position_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="editorial_pin_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theme_id}: track {self.track_id} at {self.position}"


class BoostStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate (from review approvals)"
    ACTIVE = "active", "Active"


class ArtistBoost(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="boosts")
    artist = models.ForeignKey("catalog.Artist", on_delete=models.CASCADE, related_name="editorial_boosts")
    status = models.CharField(max_length=10, choices=BoostStatus.choices, default=BoostStatus.ACTIVE)
    note = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["theme", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["theme", "artist"], name="editorial_boost_unique")]

    def __str__(self) -> str:
        return f"{self.theme_id}: artist {self.artist_id} ({self.status})"


class Block(models.Model):
    """A track or an artist kept out of every generated playlist, or of one theme's."""

    theme = models.ForeignKey(
        Theme,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="blocks",
        help_text="Empty: everywhere.",
    )
    track = models.ForeignKey(
        "catalog.Track", null=True, blank=True, on_delete=models.CASCADE, related_name="editorial_blocks"
    )
    artist = models.ForeignKey(
        "catalog.Artist", null=True, blank=True, on_delete=models.CASCADE, related_name="editorial_blocks"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(track__isnull=False, artist__isnull=True)
                | Q(track__isnull=True, artist__isnull=False),
                name="editorial_block_track_xor_artist",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="editorial_block_reason_not_empty"),
            models.UniqueConstraint(
                fields=["theme", "track"],
                name="editorial_block_track_unique",
                nulls_distinct=False,
                condition=Q(track__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["theme", "artist"],
                name="editorial_block_artist_unique",
                nulls_distinct=False,
                condition=Q(artist__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        what = f"track {self.track_id}" if self.track_id else f"artist {self.artist_id}"
        return f"{what} blocked {'in theme ' + str(self.theme_id) if self.theme_id else 'everywhere'}"


class VersionTheme(models.Model):
    """Which theme's rules a generated version got (none: only the global blocks)."""

    version = models.OneToOneField(
        "playlists.PlaylistVersion", on_delete=models.CASCADE, related_name="editorial_match"
    )
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="versions"
    )
    similarity = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"version {self.version_id}: theme {self.theme_id}"


class Report(models.Model):
    """A listener saying a playlist, or one track in it, is wrong."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="editorial_reports"
    )
    playlist = models.ForeignKey("playlists.Playlist", on_delete=models.CASCADE, related_name="reports")
    version = models.ForeignKey("playlists.PlaylistVersion", on_delete=models.CASCADE, related_name="reports")
    track = models.ForeignKey(
        "catalog.Track", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"report on {self.playlist_id}" + (f" track {self.track_id}" if self.track_id else "")


class QueueReason(models.TextChoices):
    LOW_CONFIDENCE = "low_confidence", "Low confidence in the parsed prompt"
    REPORT = "report", "Listener report"
    RISING = "rising", "Prompt rising in popularity"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ReviewItem(models.Model):
    version = models.ForeignKey(
        "playlists.PlaylistVersion", on_delete=models.CASCADE, related_name="review_items"
    )
    reason = models.CharField(max_length=20, choices=QueueReason.choices)
    detail = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reason"], condition=Q(status="open"), name="editorial_review_open_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "reason"], name="editorial_review_status_idx")]

    def __str__(self) -> str:
        return f"{self.reason} on version {self.version_id} ({self.status})"


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"


class TrackDecision(models.Model):
    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="decisions")
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "track"], name="editorial_decision_unique")]

    def __str__(self) -> str:
        return f"{self.verdict} track {self.track_id} in review {self.item_id}"


class QueueSnapshot(models.Model):
    taken_at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=20, choices=QueueReason.choices)
    open_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["taken_at", "reason"]
        constraints = [
            models.UniqueConstraint(fields=["taken_at", "reason"], name="editorial_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M} {self.reason}: {self.open_count}"


class EditorialStatus(models.TextChoices):
    BUILDING = "building", "Building"
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


class EditorialPlaylist(models.Model):
    """A playlist a curator builds from a prompt, edits by hand and publishes for everyone.

    ``revision`` grows with every edit; an edit names the revision it was made on, so two
    curators editing at once cannot overwrite each other (optimistic locking).
    """

    name = models.CharField(max_length=200)
    prompt = models.TextField(max_length=2000)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=EditorialStatus.choices, default=EditorialStatus.BUILDING
    )
    revision = models.PositiveIntegerField(default=1)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="editorial_playlist_name_not_empty")
        ]

    def __str__(self) -> str:
        return self.name


class EditorialItem(models.Model):
    playlist = models.ForeignKey(EditorialPlaylist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    pinned = models.BooleanField(default=False, help_text="Kept at this position when rebuilt.")
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["playlist", "position"], name="editorial_item_position_unique"),
            models.UniqueConstraint(fields=["playlist", "track"], name="editorial_item_track_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.playlist_id} #{self.position}: {self.track_id}"


class AuditEntry(models.Model):
    """One curator action: who, what, when, the object before and after. Written by the
    service that acts, in its transaction; never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action}"
