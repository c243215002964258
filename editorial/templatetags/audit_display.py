"""Template filters for the audit log page: an entry's before/after as readable changes."""

from __future__ import annotations

from django import template

from editorial.audit import AuditChange, audit_changes
from editorial.models import AuditEntry

register = template.Library()


@register.filter
def entry_changes(entry: AuditEntry) -> list[AuditChange]:
    return audit_changes(before=entry.before, after=entry.after)
