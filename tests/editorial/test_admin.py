"""The admin writes themes, pins and blocks through the audited services, with their messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog.models import Track
from editorial import services
from editorial.models import AuditEntry, Block, Theme, ThemePin
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user: User) -> Client:
    assert staff_user.is_staff
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def track() -> Track:
    return TrackFactory()


def test_a_theme_added_in_the_admin_is_audited(admin_client: Client, staff_user: User) -> None:
    response = admin_client.post(
        "/admin/editorial/theme/add/",
        {
            "name": "Focus",
            "description": "deep focus",
            "example_prompts": '["study music"]',
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    theme = Theme.objects.get()
    assert AuditEntry.objects.get().action == "theme.create" and theme.example_prompts == ["study music"]
    admin_client.post(
        f"/admin/editorial/theme/{theme.pk}/change/",
        {"name": "Deep focus", "description": "deep focus", "example_prompts": "[]", "is_active": "on"},
    )
    assert Theme.objects.get().name == "Deep focus"
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "theme.create",
        "theme.update",
    ]


def test_the_admin_refuses_a_theme_with_an_empty_name(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/editorial/theme/add/", {"name": "  ", "description": "x", "example_prompts": "[]"}
    )
    assert response.status_code == 200 and not Theme.objects.exists() and not AuditEntry.objects.exists()


def test_the_admin_refuses_an_expired_pin_window_with_the_services_message(
    admin_client: Client, staff_user: User, track: Track
) -> None:
    theme = services.theme_create(actor=staff_user, name="Jazz", description="jazz")
    past = timezone.localtime() - timedelta(days=3)
    response = admin_client.post(
        "/admin/editorial/themepin/add/",
        {
            "theme": theme.pk,
            "track": track.pk,
            "position": 1,
            "starts_at_0": (past - timedelta(days=1)).strftime("%Y-%m-%d"),
            "starts_at_1": "10:00:00",
            "ends_at_0": past.strftime("%Y-%m-%d"),
            "ends_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200 and "already over" in response.content.decode()
    assert not ThemePin.objects.exists()


def test_blocks_added_and_lifted_in_the_admin_are_audited(admin_client: Client, track: Track) -> None:
    response = admin_client.post("/admin/editorial/block/add/", {"track": track.pk, "reason": "bad master"})
    assert response.status_code == 302
    block = Block.objects.get()
    admin_client.post(f"/admin/editorial/block/{block.pk}/delete/", {"post": "yes"})
    assert not Block.objects.exists()
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "block.create",
        "block.delete",
    ]
