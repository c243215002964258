"""The audit log's writer: every curator service calls ``audit_record`` inside its own
transaction, so an action and its entry are committed together or not at all."""

from __future__ import annotations

from dataclasses import dataclass
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


# --- reading an entry ------------------------------------------------------------------------

# Long values (a theme's description) are cut in the log; the object itself holds the rest.
CHANGE_VALUE_MAX_CHARS = 80


@dataclass(frozen=True)
class AuditChange:
    """One field of an audit entry as a person reads it: "Status: pending → approved"."""

    field: str
    old: str | None  # None: the object did not exist before (a creation)
    new: str | None  # None: the object does not exist after (a deletion)


def _field_label(name: str) -> str:
    if name.endswith("_id") and len(name) > 3:
        name = name[:-3]
    return name.replace("_", " ").capitalize()


def _value_text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        text = ", ".join(_value_text(item) for item in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{_field_label(str(key))} {_value_text(item)}" for key, item in value.items())
    else:
        text = str(value)
    if len(text) > CHANGE_VALUE_MAX_CHARS:
        text = text[: CHANGE_VALUE_MAX_CHARS - 1] + "…"
    return text


def audit_changes(*, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[AuditChange]:
    """The fields an entry records, in readable form: for an update only the fields that
    changed; for a creation (no ``before``) or deletion (no ``after``) every recorded field."""
    old_fields = before if isinstance(before, dict) else {}
    new_fields = after if isinstance(after, dict) else {}
    changes = []
    for name in [*old_fields, *(key for key in new_fields if key not in old_fields)]:
        if before is not None and after is not None and old_fields.get(name) == new_fields.get(name):
            continue
        changes.append(
            AuditChange(
                field=_field_label(name),
                old=_value_text(old_fields.get(name)) if before is not None else None,
                new=_value_text(new_fields.get(name)) if after is not None else None,
            )
        )
    return changes
