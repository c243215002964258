"""Themes keep their active flag and refuse control characters; experiment changes are audited."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from editorial.models import AuditEntry, Theme

pytestmark = pytest.mark.django_db

THEMES = "/api/editorial/themes/"
ABOUT = "calm evening jazz for reading"


@pytest.fixture
def desk(api_client: APIClient, curator: User) -> APIClient:
    api_client.force_authenticate(curator)
    return api_client


def test_theme_created_inactive_stays_inactive(desk: APIClient) -> None:
    created = desk.post(
        THEMES, {"name": "Quiet jazz", "description": ABOUT, "is_active": False}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["is_active"] is False
    assert Theme.objects.get().is_active is False


def test_theme_put_without_the_flag_keeps_it(desk: APIClient) -> None:
    theme_id = desk.post(
        THEMES, {"name": "Quiet jazz", "description": ABOUT, "is_active": False}, format="json"
    ).json()["id"]

    kept = desk.put(f"{THEMES}{theme_id}/", {"name": "Quieter jazz", "description": ABOUT}, format="json")
    activated = desk.put(
        f"{THEMES}{theme_id}/",
        {"name": "Quieter jazz", "description": ABOUT, "is_active": True},
        format="json",
    )

    assert kept.status_code == 200 and kept.json()["is_active"] is False
    assert activated.json()["is_active"] is True


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "Bell\u0007jazz", "description": ABOUT},
        {"name": "Escape\u001b[31m", "description": ABOUT},
        {"name": "Nul\u0000jazz", "description": ABOUT},
        {"name": "Fine", "description": "calm \u0000 jazz"},
        {"name": "Fine", "description": ABOUT, "example_prompts": ["calm \u0007"]},
    ],
)
def test_theme_text_with_control_characters_is_refused(desk: APIClient, payload: dict[str, object]) -> None:
    response = desk.post(THEMES, payload, format="json")

    assert response.status_code == 400
    # NUL is refused by the serializer's own check, the others by the service.
    assert "control characters" in str(response.json()) or "Null characters" in str(response.json())
    assert not Theme.objects.exists()


def test_theme_description_may_have_line_breaks(desk: APIClient) -> None:
    response = desk.post(
        THEMES, {"name": "Fine", "description": "calm evening jazz\nfor reading\tlate"}, format="json"
    )

    assert response.status_code == 201


def test_experiment_create_start_and_stop_are_audited(desk: APIClient, curator: User) -> None:
    created = desk.post(
        "/desk/ops/api/experiments/",
        {"name": "Weights", "variants": [{"name": "A", "traffic": 50}, {"name": "B", "traffic": 50}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    experiment_id = created.json()["id"]

    assert desk.post(f"/desk/ops/api/experiments/{experiment_id}/start/").status_code == 200
    assert desk.post(f"/desk/ops/api/experiments/{experiment_id}/stop/").status_code == 200

    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_id", "target_id"))
    assert entries == [
        ("experiment.create", curator.pk, str(experiment_id)),
        ("experiment.start", curator.pk, str(experiment_id)),
        ("experiment.stop", curator.pk, str(experiment_id)),
    ]
    stop = AuditEntry.objects.get(action="experiment.stop")
    assert (stop.before["status"], stop.after["status"]) == ("running", "stopped")
