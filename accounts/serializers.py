from __future__ import annotations

from rest_framework import serializers

from accounts.models import ConsentRecord, DataExport, PersonalAccessToken, TokenScope


class ConsentRecordSerializer(serializers.ModelSerializer):
    policy_version = serializers.CharField(source="policy_version.version")

    class Meta:
        model = ConsentRecord
        fields = ("purpose", "granted", "policy_version", "text_hash", "method", "created_at")


class ConsentStateSerializer(serializers.Serializer):
    policy_version = serializers.CharField(allow_null=True)
    consents = serializers.DictField(
        child=serializers.BooleanField(allow_null=True),
        help_text="purpose → true (granted), false (withdrawn) or null (not answered yet)",
    )
    history = ConsentRecordSerializer(many=True)


class TokenSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=TokenScope.choices))

    class Meta:
        model = PersonalAccessToken
        fields = ("id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The token itself: shown this once, never again.")

    class Meta(TokenSerializer.Meta):
        fields = (*TokenSerializer.Meta.fields, "token")  # type: ignore[assignment]


class DataExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DataExport
        fields = (
            "id",
            "status",
            "size_bytes",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        )

    def get_download_url(self, export: DataExport) -> str | None:
        from django.urls import reverse

        if export.status != "ready" or export.is_expired():
            return None
        return reverse("privacy_api:export_download", args=[export.pk])


class HeldKindSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="app_label.model")
    # DRF's metaclass moves declared fields off the class; the stubs see a clash with Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
