"""Reads of accounts data, always scoped to the requesting user (another's object is a 404)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.consent import policy_current
from accounts.models import (
    ConsentPurpose,
    ConsentRecord,
    DataExport,
    ExportStatus,
    PersonalAccessToken,
    User,
)
from accounts.privacy import user_relations


def token_hash(raw: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_get_active(*, raw: str) -> PersonalAccessToken | None:
    """The unrevoked token with this value (its owner loaded), or None."""
    return (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )


def token_list(*, user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user)


def token_get(*, user: User, token_id: int) -> PersonalAccessToken:
    return get_object_or_404(token_list(user=user), pk=token_id)


def consent_history(*, user: User, limit: int = 100) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user).select_related("policy_version")[:limit]


def data_export_list(*, user: User, limit: int = 5) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user)[:limit]


def data_export_get(*, user: User, export_id: int) -> DataExport:
    return get_object_or_404(DataExport.objects.filter(user=user), pk=export_id)


def data_export_file(*, export: DataExport) -> tuple[Path | None, str]:
    """The ZIP of a ready, unexpired export, or None and the reason it can't be downloaded."""
    if export.is_expired():
        return None, "This download link has expired. Ask for a new export on your privacy page."
    if export.status != ExportStatus.READY or not export.file_path:
        return None, "This export is not ready (or it failed). Check its status on your privacy page."
    path = Path(settings.MEDIA_ROOT) / export.file_path
    if not path.is_file():
        return None, "This export's file is gone. Ask for a new export on your privacy page."
    return path, ""


@dataclass(frozen=True)
class HeldKind:
    kind: str
    label: str
    count: int


def privacy_counts(*, user: User) -> list[HeldKind]:
    """What Segue holds about the user: a row count per kind of data, found generically."""
    held = []
    for relation in user_relations():
        count = relation.queryset_for(user).count()
        if count:
            held.append(HeldKind(kind=relation.label, label=relation.kind, count=count))
    return held


def consent_overview_counts() -> list[dict[str, Any]]:
    """Per purpose, how many users currently grant or withdraw it (aggregates only, no one named)."""
    policy = policy_current()
    if policy is None:
        return []
    latest = (
        ConsentRecord.objects.filter(policy_version=policy)
        .order_by("user_id", "purpose", "-created_at", "-pk")
        .distinct("user_id", "purpose")
        .values("pk")
    )
    counts = (
        ConsentRecord.objects.filter(pk__in=latest)
        .values("purpose")
        .annotate(
            n_granted=Count("pk", filter=Q(granted=True)), n_withdrawn=Count("pk", filter=Q(granted=False))
        )
    )
    by_purpose = {row["purpose"]: row for row in counts}
    return [
        {
            "purpose": purpose.value,
            "label": purpose.label,
            "granted": by_purpose.get(purpose, {}).get("n_granted", 0),
            "withdrawn": by_purpose.get(purpose, {}).get("n_withdrawn", 0),
        }
        for purpose in ConsentPurpose
    ]
