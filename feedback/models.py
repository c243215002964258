"""Listening events and what is learned from them: affinities, taste exclusions, onboarding taste
seeds, CF factors, bandit counts, and the anonymous per-track counts left when raw events go
(erasure, retention)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from config.jobs import BackgroundJob, JobStatus
from feedback.learning.cf import FACTORS


class EventKind(models.TextChoices):
    PLAY = "play", "Play start"
    PROGRESS = "progress", "Progress"
    COMPLETE = "complete", "Complete"
    SKIP = "skip", "Skip"
    LIKE = "like", "Like"
    DISLIKE = "dislike", "Dislike"
    SAVE = "save", "Save"
    REMOVE = "remove", "Remove from playlist"
    REPLAY = "replay", "Replay"


class DeviceKind(models.TextChoices):
    WEB = "web", "Web"
    MOBILE = "mobile", "Mobile"
    DESKTOP = "desktop", "Desktop"
    SPEAKER = "speaker", "Speaker"
    OTHER = "other", "Other"


class ListeningEvent(models.Model):
    """One play / skip / like… Stored only with the listening_history consent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listening_events"
    )
    # The client's own id: a retried batch stores nothing twice.
    client_event_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="listening_events")
    version = models.ForeignKey(
        "playlists.PlaylistVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    position = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Position in the version.")
    position_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Where in the track.")
    ms_played = models.PositiveIntegerField(
        null=True, blank=True, help_text="Audio actually heard before the event (skip, complete, progress)."
    )
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    device = models.CharField(max_length=10, choices=DeviceKind.choices, blank=True)
    local_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    weight = models.FloatField(
        help_text="Affinity contribution before decay (feedback.learning.event_weights)."
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_event_id"], name="event_client_id_unique"),
            models.CheckConstraint(
                condition=Q(local_hour__isnull=True) | Q(local_hour__lte=23), name="event_local_hour_range"
            ),
        ]
        # Few indexes: every one is paid on each of thousands of inserts a second. Per-user reads
        # use the unique (user, client_event_id) index's prefix; retention scans by time with a
        # BRIN index (rows arrive roughly in time order; BRIN costs next to nothing to maintain).
        indexes = [
            BrinIndex(fields=["occurred_at"], name="event_occurred_brin"),
            models.Index(fields=["version"], name="event_version_idx", condition=Q(version__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.track_id}"


class TrackAffinityQuerySet(models.QuerySet["TrackAffinity"]):
    def outside_exclusions(self) -> TrackAffinityQuerySet:
        """Without what each listener left out of their taste: an excluded track, or any track of
        an excluded artist. (Excluded time windows need no filter: their events add no mass.)"""
        theirs = TasteExclusion.objects.filter(user_id=OuterRef("user_id"))
        return self.exclude(Exists(theirs.filter(track_id=OuterRef("track_id")))).exclude(
            Exists(theirs.filter(artist__artist_tracks__track_id=OuterRef("track_id")))
        )


class TrackAffinity(models.Model):
    """Σ of decay-scaled event weights (``mass``); read with feedback.learning.event_weights.decay_factor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_affinities"
    )
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    mass = models.FloatField(default=0.0)
    events = models.PositiveIntegerField(default=0)
    last_event_at = models.DateTimeField()
    disliked = models.BooleanField(default=False)

    objects = TrackAffinityQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="affinity_user_track_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.track_id}={self.mass:.3g}"


class ExclusionKind(models.TextChoices):
    TRACK = "track", "Track"
    ARTIST = "artist", "Artist"
    WINDOW = "window", "Time window"


class TasteExclusion(models.Model):
    """ "Leave out of my taste": events of this track / artist / time window no longer shape it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taste_exclusions"
    )
    kind = models.CharField(max_length=8, choices=ExclusionKind.choices)
    track = models.ForeignKey(
        "catalog.Track", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    artist = models.ForeignKey(
        "catalog.Artist", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="track", track__isnull=False, artist__isnull=True)
                    | Q(kind="artist", artist__isnull=False, track__isnull=True)
                    | Q(
                        kind="window",
                        starts_at__isnull=False,
                        ends_at__isnull=False,
                        starts_at__lt=models.F("ends_at"),
                    )
                ),
                name="taste_exclusion_shape",
            ),
            models.UniqueConstraint(fields=["user", "track"], name="taste_exclusion_track_unique"),
            models.UniqueConstraint(fields=["user", "artist"], name="taste_exclusion_artist_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} excludes {self.kind}"


class TasteSeed(models.Model):
    """A genre (tag) or artist a listener picked at onboarding: it seeds a new listener's taste.

    The table keeps the name it had when the model lived in accounts (moved state-only).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taste_seeds")
    tag = models.ForeignKey("catalog.Tag", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    artist = models.ForeignKey(
        "catalog.Artist", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_tasteseed"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(tag__isnull=False, artist__isnull=True)
                    | models.Q(tag__isnull=True, artist__isnull=False)
                ),
                name="taste_seed_tag_xor_artist",
            ),
            models.UniqueConstraint(fields=["user", "tag"], name="taste_seed_unique_tag"),
            models.UniqueConstraint(fields=["user", "artist"], name="taste_seed_unique_artist"),
        ]

    def __str__(self) -> str:
        return f"seed {self.tag_id or self.artist_id}"


class UserFactor(models.Model):
    """A listener's ALS vector (refreshed after new events without a retrain)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cf_factor")
    vector = VectorField(dimensions=FACTORS)
    model_version = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"factor of {self.user_id}"


class ItemFactor(models.Model):
    """A track's ALS vector; HNSW inner-product index for a listener's nearest tracks."""

    track = models.OneToOneField(
        "catalog.Track", on_delete=models.CASCADE, primary_key=True, related_name="cf_factor"
    )
    vector = VectorField(dimensions=FACTORS)
    model_version = models.PositiveIntegerField()

    class Meta:
        indexes = [
            HnswIndex(
                name="item_factor_hnsw",
                fields=["vector"],
                m=16,
                ef_construction=64,
                opclasses=["vector_ip_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"factor of track {self.track_id}"


class CFModelRun(models.Model):
    """One ALS training: its version number is stamped on every factor it wrote."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    users = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    # YᵀY of the item factors it stored (FACTORS × FACTORS, row by row): a listener's vector is
    # then solved from the factors of their own tracks alone (feedback.learning.cf.user_vector_solve).
    item_gram = ArrayField(models.FloatField(), default=list, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"CF run {self.pk}"


class PolicyStat(models.Model):
    """Bandit counts per policy: one row per listener (user set) and one global row (user null)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="policy_stats"
    )
    policy = models.CharField(max_length=40)
    successes = models.FloatField(default=0.0)
    failures = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "policy"], name="policy_stat_user_unique"),
            models.UniqueConstraint(
                fields=["policy"], condition=Q(user__isnull=True), name="policy_stat_global_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id or 'global'} {self.policy}"


class AnonymousTrackCount(models.Model):
    """Per-track counts of events whose raw rows were erased or aged out: no user, no time."""

    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "kind"], name="anonymous_count_unique")]

    def __str__(self) -> str:
        return f"{self.track_id} {self.kind} ×{self.count}"


class HistoryFormat(models.TextChoices):
    SPOTIFY = "spotify", "Spotify extended streaming history (JSON or ZIP)"
    LISTENBRAINZ = "listenbrainz", "ListenBrainz export (JSON lines or ZIP)"
    LASTFM = "lastfm", "Last.fm scrobbles (CSV)"


class HistoryImport(BackgroundJob):
    """A listening history from another service, imported in the background into events."""

    job_kind = "history_import"
    owner_field = "user"
    progress_fields = ("bytes_read", "bytes_total")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="history_imports"
    )
    history_format = models.CharField(max_length=12, choices=HistoryFormat.choices)
    original_name = models.CharField(max_length=255)
    # Deleted once imported: the events are what is kept.
    file = models.FileField(upload_to="history-imports/", blank=True)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    plays_read = models.PositiveIntegerField(default=0)
    plays_matched = models.PositiveIntegerField(default=0)
    plays_unmatched = models.PositiveIntegerField(default=0)
    events_stored = models.PositiveIntegerField(default=0)
    events_already_imported = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    # The first rows skipped ({"where", "reason"}) and the most played unmatched tracks
    # ({"artist", "title", "plays"}), for the report.
    skipped_rows = models.JSONField(default=list, blank=True)
    unmatched_tracks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One import at a time per listener: two would compete for the same rows and workers.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]),
                name="history_import_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.history_format}) for {self.user_id}"
