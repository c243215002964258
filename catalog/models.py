from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from pgvector.django import HnswIndex, VectorField

from catalog.demo import DEMO_SOURCE
from catalog.features import AUDIO_FEATURE_RANGES, EMBEDDING_DIMENSIONS, SOUND_VECTOR_DIMENSIONS
from config.jobs import BackgroundJob

# Tracks first met as a file of a music library (catalog.sources) get this source; their
# source_id is "file:<content hash>".
LIBRARY_TRACK_SOURCE = "library"


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

    # Measured from the audio file by catalog.audio (null when not analysed, or not estimable).
    loudness_lufs = models.FloatField(
        null=True, blank=True, help_text="Integrated loudness, ITU-R BS.1770 (LUFS)."
    )
    dynamic_range = models.FloatField(
        null=True, blank=True, help_text="Loudness range of the analysed excerpt, in LU."
    )

    # The text the embedding was made from; a changed document clears the embedding.
    document = models.TextField(blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    # Timbre, harmony and rhythm statistics of the audio (catalog.audio), unit length: "more like
    # this track" and seed-track candidates. Null for tracks without analysed audio.
    sound_vector = VectorField(dimensions=SOUND_VECTOR_DIMENSIONS, null=True, blank=True)

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
            HnswIndex(
                name="track_sound_vector_hnsw",
                fields=["sound_vector"],
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
            # A scanned file finds the catalog track of its recording by these (catalog.sources).
            models.Index(fields=["isrc"], name="track_isrc_idx", condition=~Q(isrc="")),
            models.Index(
                fields=["musicbrainz_recording_id"],
                name="track_mb_recording_idx",
                condition=Q(musicbrainz_recording_id__isnull=False),
            ),
            models.Index(Lower("title"), name="track_title_lower_idx"),
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


class CatalogImport(BackgroundJob):
    """A catalog file uploaded by staff and imported in the background."""

    job_kind = "catalog_import"
    owner_field = "created_by"
    progress_fields = ("bytes_read", "bytes_total")

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

    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    tracks_created = models.PositiveIntegerField(default=0)
    tracks_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    skipped_rows = models.JSONField(
        default=list, blank=True, help_text="First skipped rows: line and reason."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"


class LibrarySourceKind(models.TextChoices):
    FOLDER = "folder", "Music folder"
    SUBSONIC = "subsonic", "Subsonic server"


class LibrarySource(models.Model):
    """Where a listener's music lives: a folder on this machine (or, later, a media server).

    A folder source's ``root`` is an absolute path; every ``MediaFile.path`` is relative to it and
    nothing outside it is ever read or served.
    """

    kind = models.CharField(
        max_length=20, choices=LibrarySourceKind.choices, default=LibrarySourceKind.FOLDER
    )
    name = models.CharField(max_length=200)
    root = models.CharField(max_length=1000, blank=True, help_text="Absolute folder path (folder sources).")
    base_url = models.URLField(max_length=500, blank=True, help_text="Server address (Subsonic sources).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_scan_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["root"], condition=Q(kind="folder"), name="librarysource_folder_root_unique"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LibraryScan(BackgroundJob):
    """One scan of a library source: a background job with live counts, cancellable, resumable.

    Its heartbeat is a column (``heartbeat_at``), saved with its progress, which also reads
    whether staff asked to cancel it."""

    job_kind = "library_scan"
    owner_field = "requested_by"
    progress_fields = ("files_seen", "files_total")

    source = models.ForeignKey(LibrarySource, on_delete=models.CASCADE, related_name="scans")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_requested = models.BooleanField(default=False)
    files_total = models.PositiveIntegerField(default=0)
    files_seen = models.PositiveIntegerField(default=0)
    files_new = models.PositiveIntegerField(default=0)
    files_changed = models.PositiveIntegerField(default=0)
    files_unchanged = models.PositiveIntegerField(default=0)
    files_removed = models.PositiveIntegerField(default=0)
    files_failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True, help_text="First failed files: path and reason.")
    # Resuming after a cancel or a lost worker starts after the last path committed.
    resume_after = models.CharField(max_length=2000, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One scan at a time per source.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["queued", "running"]),
                name="libraryscan_one_active_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"scan of {self.source_id} ({self.status})"

    @property
    def resume_label(self) -> str:
        """Where a stopped scan resumes, for people: a path, or "album N" for a Subsonic sync
        (whose ``resume_after`` is "<albums done>|<first scan of the chain>")."""
        if "|" in self.resume_after and self.resume_after.split("|", 1)[0].isdigit():
            return f"album {self.resume_after.split('|', 1)[0]}"
        return self.resume_after


class MediaFile(models.Model):
    """An audio file of a library source, and the catalog track it is a recording of.

    ``removed_at`` marks a file gone from the folder: its track leaves new playlists but stays in
    history and exports. ``content_hash`` (a hash of the file's audio-bearing bytes) recognises a
    moved file.
    """

    source = models.ForeignKey(LibrarySource, on_delete=models.CASCADE, related_name="files")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="media_files")
    path = models.CharField(max_length=2000, help_text="Relative to the source's root.")
    size = models.BigIntegerField()
    mtime = models.FloatField(help_text="Modification time, seconds since the epoch.")
    content_hash = models.CharField(max_length=64, blank=True)
    audio_format = models.CharField(max_length=10, help_text="mp3, flac, ogg, opus, m4a, wav, aiff")
    content_type = models.CharField(max_length=50)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    bitrate = models.PositiveIntegerField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    tagged_from_path = models.BooleanField(default=False, help_text="No tags: names came from the path.")
    musicbrainz_release_id = models.UUIDField(null=True, blank=True)
    musicbrainz_artist_ids = models.JSONField(default=list, blank=True)
    album_artist = models.CharField(max_length=500, blank=True)
    track_number = models.PositiveSmallIntegerField(null=True, blank=True)
    disc_number = models.PositiveSmallIntegerField(null=True, blank=True)
    replaygain_track_gain = models.FloatField(null=True, blank=True)
    replaygain_album_gain = models.FloatField(null=True, blank=True)
    cover = models.BinaryField(null=True, blank=True, help_text="Embedded cover art, a small JPEG thumbnail.")
    analysed_at = models.DateTimeField(null=True, blank=True)
    analysis_error = models.TextField(blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The last scan that found this file (a scan id, not a key: scans may be deleted). A
    # finished scan marks the files it did not find as removed.
    last_seen_scan = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "path"], name="mediafile_source_path_unique")
        ]
        indexes = [
            models.Index(fields=["content_hash"], name="mediafile_content_hash_idx"),
            models.Index(
                fields=["id"], name="mediafile_pending_analysis_idx", condition=Q(analysed_at__isnull=True)
            ),
        ]
        ordering = ["source", "path"]

    def __str__(self) -> str:
        return self.path


class SubsonicAuthMode(models.TextChoices):
    API_KEY = "api_key", "OpenSubsonic API key"
    TOKEN = "token", "Token (salted MD5, API 1.13+)"
    PASSWORD = "password", "Encoded password (servers older than API 1.13)"


class SubsonicAccount(models.Model):
    """The server account Segue reads a Subsonic source's library with (staff's, one per source).

    ``credentials`` is a Fernet token (``catalog.subsonic_secrets``), never the password itself.
    """

    source = models.OneToOneField(LibrarySource, on_delete=models.CASCADE, related_name="subsonic_account")
    username = models.CharField(max_length=200, blank=True)
    credentials = models.TextField(help_text="Encrypted password or API key.")
    auth_mode = models.CharField(max_length=10, choices=SubsonicAuthMode.choices)
    api_version = models.CharField(max_length=20, blank=True)
    server_type = models.CharField(max_length=50, blank=True)
    server_version = models.CharField(max_length=50, blank=True)
    open_subsonic = models.BooleanField(default=False)
    extensions = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.username or 'api key'} on {self.source_id}"


class SubsonicLink(models.Model):
    """A listener's own account on a Subsonic source: pushes, scrobbles and star imports use it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_links"
    )
    source = models.ForeignKey(LibrarySource, on_delete=models.CASCADE, related_name="subsonic_links")
    username = models.CharField(max_length=200, blank=True)
    credentials = models.TextField(help_text="Encrypted password or API key.")
    auth_mode = models.CharField(max_length=10, choices=SubsonicAuthMode.choices)
    scrobble = models.BooleanField(default=True, help_text="Send plays made in Segue to the server.")
    last_error = models.TextField(blank=True)
    last_import_at = models.DateTimeField(null=True, blank=True)
    last_import_report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "source"], name="subsonic_link_user_source_unique")
        ]
        ordering = ["source__name", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.source_id}"


class SubsonicPush(models.Model):
    """A Segue playlist pushed to a listener's server account, kept in step with its versions.

    ``playlist_id`` is a Segue playlist id, not a key: catalog sits below playlists.
    """

    link = models.ForeignKey(SubsonicLink, on_delete=models.CASCADE, related_name="pushes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_pushes"
    )
    playlist_id = models.PositiveBigIntegerField()
    remote_playlist_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=300)
    version_number = models.PositiveIntegerField(default=0)
    songs_pushed = models.PositiveIntegerField(default=0)
    songs_missing = models.PositiveIntegerField(default=0, help_text="Tracks not on this server.")
    error = models.TextField(blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "playlist_id"], name="subsonic_push_unique")]
        indexes = [models.Index(fields=["user", "playlist_id"], name="subsonic_push_user_pl_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} → {self.remote_playlist_id or '?'}"


class SubsonicPushLeftover(models.Model):
    """A pushed playlist Segue could not delete on a server when its listener's data was erased.

    Nothing here leads back to the erased listener (no user, no link): only where the copy is.
    Staff see it on the Libraries page; each sync of the source tries the delete again with the
    source's own account (which needs the right to delete other users' playlists, e.g. an admin).
    """

    source = models.ForeignKey(LibrarySource, on_delete=models.CASCADE, related_name="push_leftovers")
    server_url = models.URLField(max_length=500)
    remote_playlist_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "remote_playlist_id"], name="subsonic_push_leftover_unique"
            )
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} → {self.remote_playlist_id} on {self.server_url}"
