"""Output shapes of the playlists API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.serializers import artist_names
from playlists.models import Playlist, PlaylistItem, PlaylistVersion
from playlists.replies import prompt_reply


class PlaylistSerializer(serializers.ModelSerializer):
    class Meta:
        model = Playlist
        fields = [
            "id",
            "name",
            "prompt",
            "size",
            "duration_seconds",
            "new_only",
            "refresh",
            "next_refresh_at",
            "created_at",
            "updated_at",
        ]


class VersionStatusSerializer(serializers.ModelSerializer):
    service_seconds = serializers.FloatField(read_only=True, help_text="Time spent generating, all stages.")
    not_understood = serializers.BooleanField(
        read_only=True,
        help_text="Failed because nothing in the prompt or change was understood; `error` has suggestions.",
    )

    class Meta:
        model = PlaylistVersion
        fields = [
            "number",
            "cause",
            "change",
            "status",
            "stage",
            "stage_seconds",
            "service_seconds",
            "error",
            "not_understood",
            "created_at",
            "started_at",
            "finished_at",
        ]


class PromptReplySerializer(serializers.Serializer):
    not_understood = serializers.ListField(
        child=serializers.CharField(), help_text="Words that matched nothing."
    )
    unknown_artists = serializers.ListField(
        child=serializers.CharField(), help_text="Artists named in the prompt that the catalog lacks."
    )
    replaced = serializers.ListField(
        child=serializers.CharField(), help_text="Earlier wishes a refinement replaced."
    )
    language = serializers.CharField(help_text="The language the prompt was read in.")
    warnings = serializers.ListField(child=serializers.CharField())
    lines = serializers.ListField(child=serializers.CharField(), help_text="All of it as sentences.")


class VersionSerializer(VersionStatusSerializer):
    understanding = serializers.SerializerMethodField()

    class Meta(VersionStatusSerializer.Meta):
        fields = [
            *VersionStatusSerializer.Meta.fields,
            "intent",
            "understanding",
            "relaxed",
            "weights",
            "policy",
            "propensity",
            "personalized",
        ]

    @extend_schema_field(PromptReplySerializer)
    def get_understanding(self, version: PlaylistVersion) -> dict[str, Any]:
        return prompt_reply(version.intent).to_dict()


class ItemTrackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    artists = serializers.ListField(child=serializers.CharField())
    album = serializers.CharField()
    release_year = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    source_id = serializers.CharField()
    spotify_uri = serializers.CharField()
    isrc = serializers.CharField()
    audio_url = serializers.CharField()


class PlaylistItemSerializer(serializers.ModelSerializer):
    track = serializers.SerializerMethodField()

    class Meta:
        model = PlaylistItem
        fields = ["position", "score", "components", "reasons", "track"]

    @extend_schema_field(ItemTrackSerializer)
    def get_track(self, item: PlaylistItem) -> dict[str, Any]:
        track = item.track
        return {
            "id": track.pk,
            "title": track.title,
            "artists": artist_names(track),
            "album": track.album,
            "release_year": track.release_year,
            "duration_ms": track.duration_ms,
            "source": track.source,
            "source_id": track.source_id,
            "spotify_uri": track.spotify_uri,
            "isrc": track.isrc,
            "audio_url": track.audio_url,
        }


class PlaylistDetailSerializer(PlaylistSerializer):
    intent = serializers.JSONField(
        read_only=True, help_text="The Intent the newest ready version was built from."
    )
    version = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta(PlaylistSerializer.Meta):
        fields = [*PlaylistSerializer.Meta.fields, "intent", "version", "items"]

    @extend_schema_field(VersionSerializer(allow_null=True))
    def get_version(self, playlist: Playlist) -> dict[str, Any] | None:
        version = self.context.get("version")
        return VersionSerializer(version).data if version else None

    @extend_schema_field(PlaylistItemSerializer(many=True))
    def get_items(self, playlist: Playlist) -> list[dict[str, Any]]:
        return PlaylistItemSerializer(self.context.get("items", []), many=True).data  # type: ignore[return-value]


class VersionChangeSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="version.number")
    cause = serializers.CharField(source="version.cause")
    change = serializers.CharField(source="version.change")
    status = serializers.CharField(source="version.status")
    created_at = serializers.DateTimeField(source="version.created_at")
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    added_titles = serializers.ListField(child=serializers.CharField())
    removed_titles = serializers.ListField(child=serializers.CharField())
