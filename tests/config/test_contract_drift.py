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


@pytest.mark.parametrize(
    ("granted", "body_format", "expected"),
    [
        (True, "json", 200),
        (False, "json", 200),
        ("false", "json", 400),
        (0, "json", 400),
        ("false", "multipart", 200),
        ("true", "multipart", 200),
    ],
)
def test_consent_granted_is_a_boolean(api: APIClient, granted: Any, body_format: str, expected: int) -> None:
    response = api.post(
        "/api/privacy/consents/", {"purpose": "experiments", "granted": granted}, format=body_format
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


@pytest.mark.parametrize("parameter", ["tag", "exclude_tag"])
def test_a_nul_in_a_tag_filter_is_a_400_with_a_message(api: APIClient, parameter: str) -> None:
    response = api.get("/api/tracks/", {parameter: "rock\x00"})

    assert response.status_code == 400
    assert response.json() == {parameter: ["Tag names cannot contain NUL characters."]}


def test_text_fields_refuse_nul(api: APIClient) -> None:
    response = api.post("/api/tokens/", {"name": "a\x00b", "scopes": ["read"]}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


@pytest.mark.parametrize("path", ["/desk/ops/api/experiments/x/results/", "/desk/ops/api/nowhere/"])
def test_the_desk_api_answers_an_unknown_address_in_json(api: APIClient, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/desk/ops/api/drift/", "/api/me/"])
def test_a_bad_request_django_refuses_is_json_on_api_paths(api: APIClient, path: str, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]

    response = api.get(path, HTTP_HOST="elsewhere.example")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": 12345}, "prompt"),
        ({"prompt": "calm jazz", "new_only": 1}, "new_only"),
        ({"prompt": "calm jazz", "new_only": "maybe"}, "new_only"),
        ({"prompt": "calm jazz", "name": True}, "name"),
    ],
)
def test_playlist_fields_read_as_strictly_as_the_schema_says(
    api: APIClient, body: dict[str, Any], field: str
) -> None:
    response = api.post("/api/playlists/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?nope=1", {"nope": ["Unknown parameter."]}),
        ("?min_tempo=90&min_tempo=120", {"min_tempo": ["Give this parameter once."]}),
    ],
)
def test_track_filters_refuse_what_the_schema_does_not_state(
    api: APIClient, query: str, expected: dict[str, list[str]]
) -> None:
    response = api.get(f"/api/tracks/{query}")

    assert response.status_code == 400
    assert response.json() == expected


def test_track_filters_take_repeated_tags_and_a_page(api: APIClient) -> None:
    assert api.get("/api/tracks/?tag=rock&tag=pop&page=1&format=json").status_code == 200


def test_a_text_limit_counts_the_text_as_sent(api: APIClient) -> None:
    response = api.post("/api/tokens/", {"name": " " + "x" * 100, "scopes": ["read"]}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
