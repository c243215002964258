"""Output shapes shared by several catalog API views (inputs are nested in each view)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.response import Response

from catalog.features import AUDIO_FEATURES
from catalog.models import CatalogImport, LibraryScan, LibrarySource, Tag, Track
from catalog.subsonic_links import RemoteDeletion


def artist_names(track: Track) -> list[str]:
    """Credited artists in order; needs ``track_artists`` prefetched (as every catalog selector does)."""
    return [credit.artist.name for credit in track.track_artists.all()]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["name", "kind"]


class TrackSerializer(serializers.ModelSerializer):
    artists = serializers.SerializerMethodField()
    tags = TagSerializer(many=True, read_only=True)
    is_demo = serializers.SerializerMethodField(help_text="True for the demo catalog's made-up tracks.")

    class Meta:
        model = Track
        fields = [
            "id",
            "title",
            "artists",
            "album",
            "release_year",
            "duration_ms",
            "popularity",
            "explicit",
            "source",
            "is_demo",
            "tags",
            *AUDIO_FEATURES,
        ]

    def get_artists(self, track: Track) -> list[str]:
        return artist_names(track)

    def get_is_demo(self, track: Track) -> bool:
        return track.is_demo


class TrackDetailSerializer(TrackSerializer):
    embedded = serializers.SerializerMethodField(help_text="Whether the track has a text embedding yet.")

    class Meta(TrackSerializer.Meta):
        fields = [
            *TrackSerializer.Meta.fields,
            "source_id",
            "isrc",
            "musicbrainz_recording_id",
            "spotify_uri",
            "audio_url",
            "embedded",
        ]

    def get_embedded(self, track: Track) -> bool:
        return track.embedding is not None


class TrackHitSerializer(TrackSerializer):
    similarity = serializers.FloatField(
        help_text="Cosine similarity to the query, -1 to 1 (higher is closer)."
    )

    class Meta(TrackSerializer.Meta):
        fields = [*TrackSerializer.Meta.fields, "similarity"]


class TrackHitListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = TrackHitSerializer(many=True)


class TrackPageSerializer(serializers.Serializer):
    """The shape of DRF's page-number pagination around tracks."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TrackSerializer(many=True)


class SkippedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField()


class CatalogImportSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    percent_done = serializers.IntegerField(help_text="0-100, from bytes read.")
    skipped_rows = SkippedRowSerializer(many=True, help_text="The first skipped rows.")

    class Meta:
        model = CatalogImport
        fields = [
            "id",
            "status",
            "original_name",
            "file_format",
            "source",
            "column_map",
            "tag_columns",
            "strict",
            "created_by",
            "bytes_total",
            "bytes_read",
            "percent_done",
            "rows_read",
            "tracks_created",
            "tracks_updated",
            "rows_skipped",
            "skipped_rows",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class EmbeddingStatusSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Tracks in the catalog.")
    embedded = serializers.IntegerField(help_text="Tracks with a text embedding.")
    pending = serializers.IntegerField(help_text="Tracks waiting for the embedding worker.")
    percent = serializers.IntegerField(help_text="0-100.")


class ScanFailureSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Relative to the library's folder.")
    reason = serializers.CharField()


class LibraryScanSerializer(serializers.ModelSerializer):
    percent_done = serializers.IntegerField(help_text="0-100, from files seen of files found.")
    failures = ScanFailureSerializer(many=True, help_text="The first files that could not be read.")

    class Meta:
        model = LibraryScan
        fields = [
            "id",
            "source",
            "status",
            "cancel_requested",
            "percent_done",
            "files_total",
            "files_seen",
            "files_new",
            "files_changed",
            "files_unchanged",
            "files_removed",
            "files_failed",
            "failures",
            "resume_after",
            "error",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields


class LibrarySourceSerializer(serializers.ModelSerializer):
    file_count = serializers.IntegerField(help_text="Files present in the folder at the last scan.")
    analysed_count = serializers.IntegerField(help_text="Of those, files whose sound was analysed.")
    analysis_failed_count = serializers.IntegerField(help_text="Files that could not be analysed.")
    analysis_pending = serializers.IntegerField(help_text="Files waiting for the analysis worker.")
    latest_scan = LibraryScanSerializer(allow_null=True, help_text="The most recent scan, if any.")
    auth_mode = serializers.SerializerMethodField(help_text="Subsonic: api_key, token or password.")
    api_version = serializers.SerializerMethodField(help_text="Subsonic: the API version the server answers.")

    def get_auth_mode(self, library: LibrarySource) -> str:
        account = getattr(library, "subsonic_account", None)
        return account.auth_mode if account is not None else ""

    def get_api_version(self, library: LibrarySource) -> str:
        account = getattr(library, "subsonic_account", None)
        return account.api_version if account is not None else ""

    class Meta:
        model = LibrarySource
        fields = [
            "id",
            "kind",
            "name",
            "root",
            "base_url",
            "auth_mode",
            "api_version",
            "last_scan_at",
            "created_at",
            "file_count",
            "analysed_count",
            "analysis_failed_count",
            "analysis_pending",
            "latest_scan",
        ]
        read_only_fields = fields


class PushedCopyLeftSerializer(serializers.Serializer):
    """A playlist pushed to a media server that could not be deleted there."""

    class Meta:
        ref_name = "PushedCopyLeft"

    playlist_id = serializers.IntegerField(help_text="The Segue playlist it is a copy of.")
    name = serializers.CharField()
    remote_playlist_id = serializers.CharField(help_text="Its id on the server.")


class RemoteDeletionSerializer(serializers.Serializer):
    """What deleting pushed copies left on the server: those it could not delete, and why."""

    class Meta:
        ref_name = "PushedCopiesDeletion"

    pushed_deleted = serializers.IntegerField(source="deleted", help_text="Copies deleted on the server.")
    pushed_left = PushedCopyLeftSerializer(
        source="failed", many=True, help_text="Copies that could not be deleted and stay on the server."
    )
    error = serializers.CharField(
        help_text="Why: the server's refusal, or that it cannot be reached (or the credentials no "
        "longer work)."
    )


class DeletePushedQuerySerializer(serializers.Serializer):
    delete_pushed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also delete on the media servers the playlists Segue pushed there.",
    )


def remote_deletion_responses(*, done: str, left: str) -> dict[int, OpenApiResponse]:
    """The 200 / 204 answers of a deletion that also deletes pushed copies on media servers."""
    return {
        200: OpenApiResponse(RemoteDeletionSerializer, description=left),
        204: OpenApiResponse(description=done),
    }


def remote_deletion_response(outcome: RemoteDeletion) -> Response:
    """A 200 naming the pushed copies a server could not delete, or a 204 when none are left."""
    if outcome.failed:
        return Response(RemoteDeletionSerializer(outcome).data)
    return Response(status=status.HTTP_204_NO_CONTENT)
