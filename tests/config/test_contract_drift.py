"""The behaviours the schema states: a form consent post needs `granted`, text fields refuse
numbers, a body over the limit is a JSON 413, lists are documented as pages."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import ConsentRecord, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client: APIClient, owner: User) -> APIClient:
    api_client.force_authenticate(owner)
    return api_client


def test_form_consent_post_without_granted_is_refused_not_a_withdrawal(api: APIClient, owner: User) -> None:
    before = ConsentRecord.objects.filter(user=owner).count()

    response = api.post("/api/privacy/consents/", {"purpose": "personalization"}, format="multipart")

    assert response.status_code == 400
    assert "granted" in response.json()
    assert ConsentRecord.objects.filter(user=owner).count() == before


@pytest.mark.parametrize(("granted", "expected"), [("false", 200), (0, 400), (True, 200)])
def test_consent_granted_is_a_boolean(api: APIClient, granted: Any, expected: int) -> None:
    response = api.post(
        "/api/privacy/consents/", {"purpose": "experiments", "granted": granted}, format="json"
    )

    assert response.status_code == expected


def test_text_fields_refuse_numbers(api: APIClient) -> None:
    response = api.post("/api/tokens/", {"name": 0, "scopes": ["read"]}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_events_are_documented_as_json_and_lists_as_pages() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths: dict[str, Any] = schema["paths"]

    events = paths["/api/feedback/events/"]["post"]["requestBody"]["content"]
    themes = paths["/api/editorial/themes/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    drift = paths["/desk/ops/api/drift/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert list(events) == ["application/json"]
    assert "$ref" in themes and "Paginated" in themes["$ref"]
    assert drift["type"] == "array"
    for operations in paths.values():
        for operation in operations.values():
            assert {"401", "403"} <= set(operation["responses"])
