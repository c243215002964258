from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from pgvector.django import HnswIndex, VectorField

from catalog.demo import DEMO_SOURCE
from catalog.features import AUDIO_FEATURE_RANGES, EMBEDDING_DIMENSIONS


class Artist(models.Model):
    name = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("name"), name="artist_name_ci_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TagKind(models.TextChoices):
    GENRE = "genre", "Genre"
    MOOD = "mood", "Mood"
    THEME = "theme", "Theme"
    INSTRUMENT = "instrument", "Instrument"
    OTHER = "other", "Other"


class Tag(models.Model):
    """A label on tracks; names are stored lower-case so 'Rock' and 'rock' are one tag."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=TagKind.choices, default=TagKind.OTHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="tag_kind_name_unique"),
            models.CheckConstraint(condition=Q(name=Lower("name")), name="tag_name_lowercase"),
        ]
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


def _feature_constraints() -> list[models.CheckConstraint]:
    constraints = []
    for feature, (low, high) in AUDIO_FEATURE_RANGES.items():
        in_range = Q(**{f"{feature}__gte": low, f"{feature}__lte": high}) | Q(**{f"{feature}__isnull": True})
        constraints.append(models.CheckConstraint(condition=in_range, name=f"track_{feature}_range"))
    return constraints


class Track(models.Model):
    # Where the track came from: (source, source_id) is its identity for re-imports.
    source = models.CharField(max_length=50)
    source_id = models.CharField(max_length=200)
    isrc = models.CharField(max_length=12, blank=True)
    musicbrainz_recording_id = models.UUIDField(null=True, blank=True)
    spotify_uri = models.CharField(max_length=100, blank=True)

    title = models.CharField(max_length=500)
    artists: models.ManyToManyField[Artist, TrackArtist] = models.ManyToManyField(
        Artist, through="TrackArtist", related_name="tracks"
    )
    album = models.CharField(max_length=500, blank=True)
    release_year = models.SmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    popularity = models.SmallIntegerField(null=True, blank=True)
    explicit = models.BooleanField(default=False)
    audio_url = models.URLField(max_length=1000, blank=True)
    tags: models.ManyToManyField[Tag, TrackTag] = models.ManyToManyField(
        Tag, through="TrackTag", related_name="tracks"
    )

    # Audio features, Spotify's definitions; null when unknown.
    danceability = models.FloatField(null=True, blank=True)
    energy = models.FloatField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    tempo = models.FloatField(null=True, blank=True, help_text="Beats per minute.")
    acousticness = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    speechiness = models.FloatField(null=True, blank=True)
    liveness = models.FloatField(null=True, blank=True)
    loudness = models.FloatField(null=True, blank=True, help_text="Decibels, typically -60 to 0.")
    key = models.SmallIntegerField(null=True, blank=True, help_text="Pitch class 0-11, -1 when none.")
    mode = models.SmallIntegerField(null=True, blank=True, help_text="1 major, 0 minor.")

    # The text the embedding was made from; a changed document clears the embedding.
    document = models.TextField(blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="track_source_id_unique"),
            models.CheckConstraint(
                condition=Q(release_year__isnull=True) | Q(release_year__gte=1000, release_year__lte=2100),
                name="track_release_year_range",
            ),
            models.CheckConstraint(
                condition=Q(popularity__isnull=True) | Q(popularity__gte=0, popularity__lte=100),
                name="track_popularity_range",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="track_title_not_empty"),
            *_feature_constraints(),
        ]
        indexes = [
            HnswIndex(
                name="track_embedding_hnsw",
                fields=["embedding"],
                # m=32/ef_construction=128 rather than pgvector's 16/64: at a million tracks with
                # many near-duplicates (remasters, versions), 16/64 left recall@10 near 0.8
                # (BENCHMARKS.md); the build is about 3.6x slower (11 min at 1M rows).
                m=32,
                ef_construction=128,
                opclasses=["vector_cosine_ops"],
            ),
            models.Index(fields=["release_year"], name="track_release_year_idx"),
            models.Index(fields=["energy"], name="track_energy_idx"),
            models.Index(fields=["valence"], name="track_valence_idx"),
            models.Index(fields=["tempo"], name="track_tempo_idx"),
            models.Index(fields=["danceability"], name="track_danceability_idx"),
            models.Index(fields=["popularity"], name="track_popularity_idx"),
            models.Index(
                fields=["id"], name="track_pending_embedding_idx", condition=Q(embedding__isnull=True)
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_demo(self) -> bool:
        """A made-up track from the generated demo catalog."""
        return self.source == DEMO_SOURCE


class TrackArtist(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="track_artists")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="artist_tracks")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "artist"], name="track_artist_unique")]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.artist_id} on {self.track_id} (#{self.position})"


class TrackTag(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="track_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tag_tracks")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "tag"], name="track_tag_unique")]
        # Filters go tag -> tracks; the unique constraint covers track -> tags.
        indexes = [models.Index(fields=["tag", "track"], name="tracktag_tag_track_idx")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.track_id}"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSON lines"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class CatalogImport(models.Model):
    """A catalog file uploaded by staff and imported in the background."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="catalog_imports"
    )
    file = models.FileField(upload_to="catalog-imports/%Y/%m/")
    original_name = models.CharField(max_length=300)
    file_format = models.CharField(max_length=10, choices=ImportFormat.choices, blank=True)
    source = models.CharField(max_length=50)
    column_map = models.JSONField(default=dict, blank=True)
    tag_columns = models.JSONField(default=list, blank=True)
    strict = models.BooleanField(default=False)

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    tracks_created = models.PositiveIntegerField(default=0)
    tracks_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    skipped_rows = models.JSONField(
        default=list, blank=True, help_text="First skipped rows: line and reason."
    )
    error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def percent_done(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_read / self.bytes_total))
