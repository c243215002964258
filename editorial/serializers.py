"""Output shapes of the curator API (inputs are nested in each API view)."""

from __future__ import annotations

from rest_framework import serializers

from editorial.models import AuditEntry, Block, ReviewItem, Theme, ThemePin


class PinSerializer(serializers.ModelSerializer):
    track_title = serializers.CharField(source="track.title", read_only=True)

    class Meta:
        model = ThemePin
        fields = ["id", "theme", "track", "track_title", "position", "starts_at", "ends_at", "created_at"]


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["id", "name", "description", "example_prompts", "is_active", "created_at", "updated_at"]


class BlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = Block
        fields = ["id", "theme", "track", "artist", "reason", "created_at"]


class ReviewItemSerializer(serializers.ModelSerializer):
    playlist = serializers.IntegerField(source="version.playlist_id", read_only=True)
    prompt = serializers.CharField(source="version.playlist.prompt", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = ReviewItem
        fields = ["id", "reason", "detail", "status", "playlist", "version_number", "prompt", "created_at"]


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "actor_email",
            "action",
            "target_type",
            "target_id",
            "summary",
            "before",
            "after",
            "created_at",
        ]
