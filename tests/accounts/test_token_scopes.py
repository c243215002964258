"""Token scopes are structural: every API view declares the scope each method needs, a token
without it is refused whatever the view's own permission classes, and a token never widens
its own scopes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.models import PersonalAccessToken, TokenScope, User
from accounts.scopes import scope_required
from accounts.services import token_create

pytestmark = pytest.mark.django_db

SAMPLE_BY_CONVERTER = {"IntConverter": "1", "UUIDConverter": str(uuid.UUID(int=1))}


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_views(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> Iterator[tuple[str, type[APIView]]]:
    """Every DRF view in the URLconf, with a concrete path (sample values for its converters)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        converters = getattr(entry.pattern, "converters", {})
        for name, converter in converters.items():
            sample = SAMPLE_BY_CONVERTER.get(type(converter).__name__, "x")
            route = route.replace(f"<{type(converter).__name__}:{name}>", sample)
            for spelled in ("int", "uuid", "str", "slug", "path"):
                route = route.replace(f"<{spelled}:{name}>", sample)
            route = route.replace(f"<{name}>", sample)
        if isinstance(entry, URLResolver):
            yield from api_views(entry.url_patterns, prefix + route)
            continue
        view_class = getattr(entry.callback, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            yield "/" + prefix + route, view_class


def allowed_methods(view_class: type[APIView]) -> list[str]:
    return [m.upper() for m in view_class.http_method_names if m != "options" and hasattr(view_class, m)]


API_VIEWS = sorted(set(api_views()), key=lambda pair: pair[0])


def test_the_walk_finds_every_api_module() -> None:
    paths = [path for path, _ in API_VIEWS]
    assert len(paths) > 50
    for expected in ("/api/catalog/imports/", "/api/privacy/consents/", "/api/feedback/events/"):
        assert expected in paths


@pytest.mark.parametrize(("path", "view_class"), API_VIEWS, ids=[path for path, _ in API_VIEWS])
def test_every_api_view_declares_a_scope_and_refuses_tokens_without_it(
    api_client: APIClient, staff_user: User, path: str, view_class: type[APIView]
) -> None:
    # Staff: the role would pass every view's own permission classes; only the scope may refuse.
    for method in allowed_methods(view_class):
        required = scope_required(view_class, method)
        assert required in TokenScope.values, f"{view_class.__name__}.{method} declares no token scope"
        others = [scope for scope in TokenScope.values if scope != required]
        _, raw = token_create(user=staff_user, name=f"no-{required}", scopes=others)

        response = api_client.generic(method, path, "{}", content_type="application/json", **bearer(raw))

        assert response.status_code == 403, (method, path, response.status_code)
        # The docs pages answer in HTML; every other view in JSON.
        if response["Content-Type"].startswith("application/json"):
            assert f"lacks the '{required}' scope" in response.json()["detail"]


class UndeclaredApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def test_view_declaring_no_scope_refuses_every_token(owner: User) -> None:
    _, raw = token_create(user=owner, name="all", scopes=TokenScope.values)

    by_token = UndeclaredApi.as_view()(APIRequestFactory().get("/x/", **bearer(raw)))

    assert by_token.status_code == 403
    assert "does not accept API tokens" in by_token.data["detail"]


def test_catalog_import_needs_the_write_scope_even_for_staff(api_client: APIClient, staff_user: User) -> None:
    _, raw = token_create(user=staff_user, name="reader", scopes=["read"])

    response = api_client.post("/api/catalog/imports/", {}, **bearer(raw))

    assert response.status_code == 403
    assert "lacks the 'write' scope" in response.json()["detail"]


def test_token_cannot_mint_a_token_with_more_scopes(api_client: APIClient, owner: User) -> None:
    _, raw = token_create(user=owner, name="writer", scopes=["write"])

    wider = api_client.post(
        "/api/tokens/",
        {"name": "more", "scopes": ["read", "write", "feedback"]},
        format="json",
        **bearer(raw),
    )
    same = api_client.post(
        "/api/tokens/", {"name": "same", "scopes": ["write"]}, format="json", **bearer(raw)
    )

    assert wider.status_code == 403
    assert "read, feedback" in wider.json()["detail"] or "feedback, read" in wider.json()["detail"]
    assert same.status_code == 201
    assert sorted(PersonalAccessToken.objects.filter(user=owner).values_list("name", flat=True)) == [
        "same",
        "writer",
    ]


def test_consent_change_needs_the_consent_scope(api_client: APIClient, owner: User) -> None:
    _, writer = token_create(user=owner, name="writer", scopes=["read", "write", "feedback"])
    _, consenter = token_create(user=owner, name="consent", scopes=["consent"])
    change = {"purpose": "experiments", "granted": False}

    refused = api_client.post("/api/privacy/consents/", change, format="json", **bearer(writer))
    allowed = api_client.post("/api/privacy/consents/", change, format="json", **bearer(consenter))

    assert refused.status_code == 403
    assert "lacks the 'consent' scope" in refused.json()["detail"]
    assert allowed.status_code == 200
