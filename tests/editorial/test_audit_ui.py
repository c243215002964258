"""The audit log page reads as changes ("Name: Calm jazz → Late jazz"), never raw dicts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from editorial import services
from editorial.audit import AuditChange, audit_changes

pytestmark = pytest.mark.django_db


def test_an_update_lists_only_the_fields_that_changed() -> None:
    changes = audit_changes(
        before={"name": "Calm jazz", "is_active": True, "track_id": 4},
        after={"name": "Late jazz", "is_active": True, "track_id": 4},
    )

    assert changes == [AuditChange(field="Name", old="Calm jazz", new="Late jazz")]


def test_a_creation_and_a_deletion_list_every_field_readably() -> None:
    created = audit_changes(
        before=None, after={"is_active": False, "example_prompts": ["a", "b"], "note": ""}
    )
    deleted = audit_changes(before={"artist_id": 7, "weight": None}, after=None)

    assert created == [
        AuditChange(field="Is active", old=None, new="no"),
        AuditChange(field="Example prompts", old=None, new="a, b"),
        AuditChange(field="Note", old=None, new="—"),
    ]
    assert deleted == [
        AuditChange(field="Artist", old="7", new=None),
        AuditChange(field="Weight", old="—", new=None),
    ]


def test_long_values_are_cut_and_nested_values_spelled_out() -> None:
    (change,) = audit_changes(before={"text": "x" * 200}, after={"text": {"energy_range": [0.2, 0.5]}})

    assert change.old is not None and len(change.old) == 80 and change.old.endswith("…")
    assert change.new == "Energy range 0.2, 0.5"


def test_an_entry_with_nothing_changed_says_so() -> None:
    assert audit_changes(before={"name": "A"}, after={"name": "A"}) == []


def test_the_audit_page_shows_field_old_and_new_not_python_dicts(curator: User, client: Client) -> None:
    theme = services.theme_create(actor=curator, name="Calm jazz", description="calm jazz")
    services.theme_update(
        actor=curator, theme=theme, name="Late-night jazz", description="calm jazz", example_prompts=[]
    )
    client.force_login(curator)

    page = client.get(reverse("desk:audit")).content.decode()

    assert "<del>Calm jazz</del> → <ins>Late-night jazz</ins>" in page
    assert '<span class="audit-field">Name:</span>' in page
    assert "{'" not in page and "&#x27;name&#x27;:" not in page
    assert "Before</th>" not in page and "Changes</th>" in page
