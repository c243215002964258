"""Prompted playlists: a listener's playlist, its generated versions and their tracks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

PROMPT_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 200
SIZE_MIN, SIZE_MAX = 1, 200
DEFAULT_SIZE = 30


# How the engine's "did not understand" replies begin (playlists.composer, playlists.generation).
NOT_UNDERSTOOD_PREFIX = "Segue did not understand"


class RefreshSchedule(models.TextChoices):
    NEVER = "never", "Never"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"


class VersionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class VersionCause(models.TextChoices):
    PROMPT = "prompt", "New prompt"
    REFINE = "refine", "Refined"
    EDIT = "edit", "Edited settings"
    REFRESH = "refresh", "Scheduled refresh"
    REGENERATE = "regenerate", "Regenerated"


class Playlist(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlists")
    # The generated title of the latest version (playlists.services), until the listener renames it.
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    named_by_listener = models.BooleanField(default=False, help_text="The listener chose the name.")
    prompt = models.TextField(max_length=PROMPT_MAX_LENGTH)
    # Tracks asked for; null: what the prompt says ("20 songs", "an hour"), else DEFAULT_SIZE.
    size = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    new_only = models.BooleanField(default=False, help_text="Only tracks the listener has not played.")
    # The Intent the latest version was generated from (playlists.engine.intent.Intent.to_dict()).
    intent = models.JSONField(default=dict, blank=True)
    refresh = models.CharField(max_length=10, choices=RefreshSchedule.choices, default=RefreshSchedule.NEVER)
    next_refresh_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_refresh_at"], name="playlist_refresh_due_idx", condition=~Q(refresh="never")
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__isnull=True) | Q(size__gte=SIZE_MIN, size__lte=SIZE_MAX),
                name="playlist_size_range",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="playlist_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class PlaylistVersion(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    cause = models.CharField(max_length=12, choices=VersionCause.choices, default=VersionCause.PROMPT)
    # What the listener asked for this version: the prompt, a refinement ("less rap"), an edit.
    change = models.TextField(blank=True)
    # The Intent to start from; generation stores the compiled Intent it actually used.
    intent = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=VersionStatus.choices, default=VersionStatus.QUEUED)
    stage = models.CharField(max_length=20, blank=True, help_text="The stage running now.")
    stage_seconds = models.JSONField(default=dict, blank=True)
    weights = models.JSONField(default=dict, blank=True)
    policy = models.CharField(max_length=40, blank=True, help_text="How the playlist was built.")
    # Probability of the randomized choice that built it (the bandit reads it); null if none.
    propensity = models.FloatField(null=True, blank=True)
    relaxed = models.JSONField(default=list, blank=True, help_text="Constraints that could not be met.")
    personalized = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the listener dismissed this refresh's notice (kept here so it holds on every device).
    notice_dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["playlist", "number"], name="playlist_version_number_unique"),
            models.CheckConstraint(
                condition=Q(propensity__isnull=True) | Q(propensity__gt=0, propensity__lte=1),
                name="playlist_version_propensity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playlist_id} v{self.number}"

    @property
    def is_finished(self) -> bool:
        return self.status in (VersionStatus.READY, VersionStatus.FAILED)

    @property
    def not_understood(self) -> bool:
        """Failed because nothing in its prompt or change was understood (nothing to retry)."""
        return self.status == VersionStatus.FAILED and self.error.startswith(NOT_UNDERSTOOD_PREFIX)

    @property
    def service_seconds(self) -> float:
        return float(sum(self.stage_seconds.values()))


class PlaylistItem(models.Model):
    version = models.ForeignKey(PlaylistVersion, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="playlist_items")
    score = models.FloatField()
    components = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="playlist_item_position_unique"),
            models.UniqueConstraint(fields=["version", "track"], name="playlist_item_track_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} #{self.position}: {self.track_id}"
