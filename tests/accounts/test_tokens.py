"""Personal access tokens: hashed at rest, shown once, scoped, revocable; API throttling."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.models import PersonalAccessToken, User
from accounts.services import account_erasure_request, token_create, token_revoke
from config.errors import ApplicationError

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_is_stored_only_as_a_hash(owner: User) -> None:
    token, raw = token_create(user=owner, name="scrobbler", scopes=["read"])

    stored = PersonalAccessToken.objects.get(pk=token.pk)
    assert raw.startswith("seg_") and len(raw) > 40
    assert raw not in (stored.token_hash, stored.prefix)
    assert stored.prefix == raw[:10]


def test_read_token_reads_but_cannot_write(api_client: APIClient, owner: User) -> None:
    _, raw = token_create(user=owner, name="reader", scopes=["read"])

    me = api_client.get("/api/me/", **bearer(raw))
    write = api_client.post("/api/privacy/exports/", **bearer(raw))

    assert me.status_code == 200
    assert me.json()["email"] == "owner@example.com"
    assert write.status_code == 403
    assert "lacks the 'write' scope" in write.json()["detail"]


def test_write_token_without_read_cannot_read(api_client: APIClient, owner: User) -> None:
    _, raw = token_create(user=owner, name="writer", scopes=["write"])

    assert api_client.get("/api/me/", **bearer(raw)).status_code == 403
    assert api_client.post("/api/privacy/exports/", **bearer(raw)).status_code == 202


def test_token_also_works_on_the_catalog_api(api_client: APIClient, owner: User) -> None:
    _, raw = token_create(user=owner, name="reader", scopes=["read"])

    assert api_client.get("/api/tracks/", **bearer(raw)).status_code == 200


class FeedbackLikeApi(APIView):
    required_scope = "feedback"

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


@pytest.mark.parametrize(("scopes", "expected"), [(["feedback"], 200), (["read", "write"], 403)])
def test_view_can_require_its_own_scope(owner: User, scopes: list[str], expected: int) -> None:
    _, raw = token_create(user=owner, name="events", scopes=scopes)
    request = APIRequestFactory().post("/x/", {}, format="json", **bearer(raw))

    response = FeedbackLikeApi.as_view()(request)

    assert response.status_code == expected


def test_revoked_token_is_refused(api_client: APIClient, owner: User) -> None:
    token, raw = token_create(user=owner, name="old", scopes=["read"])
    token_revoke(user=owner, token_id=token.pk)

    response = api_client.get("/api/me/", **bearer(raw))

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Bearer a b"])
def test_bad_tokens_are_refused(api_client: APIClient, header: str) -> None:
    assert api_client.get("/api/me/", HTTP_AUTHORIZATION=header).status_code == 401


def test_token_of_a_closed_account_is_refused(api_client: APIClient, owner: User, user_password: str) -> None:
    _, raw = token_create(user=owner, name="mine", scopes=["read"])
    account_erasure_request(user=owner, password=user_password, request=RequestFactory().post("/"))

    assert api_client.get("/api/me/", **bearer(raw)).status_code == 401


def test_token_create_refuses_bad_input(owner: User) -> None:
    with pytest.raises(ApplicationError, match="name"):
        token_create(user=owner, name="  ", scopes=["read"])
    with pytest.raises(ApplicationError, match="scopes"):
        token_create(user=owner, name="x", scopes=["admin"])
    with pytest.raises(ApplicationError, match="scopes"):
        token_create(user=owner, name="x", scopes=[])
    assert not PersonalAccessToken.objects.exists()


def test_tokens_page_shows_the_token_once(client: Client, owner: User) -> None:
    client.force_login(owner)

    created = client.post("/privacy/tokens/", {"name": "laptop", "scopes": ["read", "feedback"]})
    raw = created.context["new_token"]["raw"]
    listed = client.get("/privacy/tokens/")

    assert created.status_code == 200
    assert raw in created.content.decode()
    assert created["Cache-Control"] == "no-store"
    assert raw not in listed.content.decode()
    assert "laptop" in listed.content.decode()


def test_tokens_page_refuses_a_token_without_scope(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.post("/privacy/tokens/", {"name": "laptop"})

    assert response.status_code == 400
    assert "Choose at least one scope" in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_tokens_api_creates_lists_and_revokes(api_client: APIClient, owner: User) -> None:
    api_client.force_authenticate(user=owner)

    created = api_client.post("/api/tokens/", {"name": "ci", "scopes": ["read"]}, format="json")
    token_id = created.json()["id"]
    listed = api_client.get("/api/tokens/").json()
    revoked = api_client.delete(f"/api/tokens/{token_id}/")

    assert created.status_code == 201
    assert created.json()["token"].startswith("seg_")
    assert [token["name"] for token in listed] == ["ci"]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert revoked.status_code == 204
    assert PersonalAccessToken.objects.get(pk=token_id).revoked_at is not None


def test_stranger_cannot_revoke_my_token(
    api_client: APIClient, client: Client, owner: User, other_user: User
) -> None:
    token, raw = token_create(user=owner, name="mine", scopes=["read"])
    api_client.force_authenticate(user=other_user)
    client.force_login(other_user)

    assert api_client.delete(f"/api/tokens/{token.pk}/").status_code == 404
    assert client.post(f"/privacy/tokens/{token.pk}/revoke/").status_code == 404
    assert "mine" not in client.get("/privacy/tokens/").content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_api_is_throttled_per_user(
    api_client: APIClient, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    api_client.force_authenticate(user=owner)

    statuses = [api_client.get("/api/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
