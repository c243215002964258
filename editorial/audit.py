"""The audit log's writer: every curator service calls ``audit_record`` inside its own
transaction, so an action and its entry are committed together or not at all."""

from __future__ import annotations

from typing import Any

from django.db import models

from accounts.models import User
from editorial.models import AuditEntry


def snapshot(instance: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-safe picture of ``instance``'s ``fields`` (foreign keys as ids, dates as text)."""
    picture: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        picture[name] = value
    return picture


def audit_record(
    *,
    actor: User,
    action: str,
    target: models.Model,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_email=actor.email,
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk or ""),
        summary=summary[:500],
        before=before,
        after=after,
    )
