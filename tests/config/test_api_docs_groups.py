"""The API docs: operations grouped by app, each group described; docs pages that load nothing
from other hosts (the CSP would block it)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from config.api_schema import API_GROUPS

pytestmark = pytest.mark.django_db


def test_every_operation_is_in_one_described_app_group(api_client: APIClient, owner: User) -> None:
    api_client.force_authenticate(user=owner)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    groups = {name for _, name, _ in API_GROUPS}
    listed = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert set(listed) <= groups and all(listed.values())
    used = {
        (path, method): operation["tags"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "responses" in operation
    }
    assert all(len(tags) == 1 and tags[0] in listed for tags in used.values()), used
    assert used[("/api/playlists/", "post")] == ["Playlists"]
    assert used[("/api/tracks/", "get")] == ["Catalog"]
    assert used[("/api/editorial/themes/", "get")] == ["Editorial desk"]
    assert used[("/api/me/", "get")] == ["Account and privacy"]
    assert {"Playlists", "Catalog", "Listening feedback", "Editorial desk"} <= set(listed)


def test_redoc_loads_only_files_served_here(client: Client, owner: User) -> None:
    client.force_login(owner)

    page = client.get("/api/redoc/").content.decode()
    bundle = client.get("/api/redoc/redoc.standalone.js").content

    assert "fonts.googleapis.com" not in page and "https://" not in page
    assert '<script src="/api/redoc/redoc.standalone.js">' in page
    assert b"cdn.redoc.ly" not in bundle and b"Redoc" in bundle
