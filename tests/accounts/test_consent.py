"""Consent: the ledger, the one enforcement service, re-consent on a new policy, the API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction
from django.test import Client
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.consent import ConsentRequired, consent_allows, consent_require, consent_state
from accounts.models import ConsentMethod, ConsentPurpose, ConsentRecord, User
from accounts.services import consent_grant, consent_record_choices, consent_withdraw, policy_publish
from config.errors import ApplicationError

pytestmark = pytest.mark.django_db

ALL_YES = dict.fromkeys(ConsentPurpose.values, True)


def test_fixture_listener_consents_to_every_purpose(owner: User) -> None:
    assert all(consent_allows(owner, purpose) for purpose in ConsentPurpose)


def test_new_user_has_no_consent(unconsented_user: User) -> None:
    assert consent_state(unconsented_user) == dict.fromkeys(ConsentPurpose.values)
    assert not consent_allows(unconsented_user, ConsentPurpose.PERSONALIZATION)


def test_anonymous_user_never_consents() -> None:
    assert not consent_allows(AnonymousUser(), ConsentPurpose.PERSONALIZATION)
    with pytest.raises(ConsentRequired):
        consent_require(AnonymousUser(), ConsentPurpose.LISTENING_HISTORY)


def test_withdrawn_consent_is_refused_with_a_message_naming_it(owner: User) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)

    assert not consent_allows(owner, ConsentPurpose.LISTENING_HISTORY)
    assert consent_allows(owner, ConsentPurpose.PERSONALIZATION)
    with pytest.raises(ConsentRequired) as raised:
        consent_require(owner, ConsentPurpose.LISTENING_HISTORY)
    assert raised.value.status_code == 403
    assert "listening history" in str(raised.value.detail)
    assert "/privacy/" in str(raised.value.detail)


def test_grant_after_withdraw_allows_again_and_ledger_keeps_both(owner: User) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.EXPERIMENTS)
    consent_grant(user=owner, purpose=ConsentPurpose.EXPERIMENTS, method=ConsentMethod.API)

    assert consent_allows(owner, ConsentPurpose.EXPERIMENTS)
    answers = ConsentRecord.objects.filter(user=owner, purpose=ConsentPurpose.EXPERIMENTS).order_by("pk")
    assert [(record.granted, record.method) for record in answers] == [
        (True, ConsentMethod.WEB),
        (False, ConsentMethod.WEB),
        (True, ConsentMethod.API),
    ]
    assert all(len(record.text_hash) == 64 for record in answers)


def test_ledger_rows_cannot_be_updated(owner: User) -> None:
    record = ConsentRecord.objects.filter(user=owner).first()
    assert record is not None

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).update(granted=False)


def test_unknown_purpose_is_refused_and_nothing_written(owner: User) -> None:
    before = ConsentRecord.objects.count()

    with pytest.raises(ApplicationError, match="Unknown consent purpose"):
        consent_grant(user=owner, purpose="sell_my_data")
    with pytest.raises(ApplicationError, match="Unknown consent purpose"):
        consent_record_choices(user=owner, choices={**ALL_YES, "sell_my_data": True})

    assert ConsentRecord.objects.count() == before


def test_choices_must_answer_every_purpose(unconsented_user: User) -> None:
    with pytest.raises(ApplicationError, match="Please answer"):
        consent_record_choices(user=unconsented_user, choices={ConsentPurpose.PERSONALIZATION: True})

    assert not ConsentRecord.objects.filter(user=unconsented_user).exists()


def test_new_policy_version_suspends_every_purpose_until_answered(owner: User) -> None:
    policy_publish(version="2027-01", text="A new policy text.")

    assert not consent_allows(owner, ConsentPurpose.PERSONALIZATION)
    consent_record_choices(user=owner, choices=ALL_YES)
    assert consent_allows(owner, ConsentPurpose.PERSONALIZATION)


def test_new_policy_version_sends_listener_to_answer_again(client: Client, owner: User) -> None:
    client.force_login(owner)
    assert client.get("/catalog/").status_code == 200

    policy_publish(version="2027-01", text="A new policy text.")
    response = client.get("/catalog/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/onboarding/consents/?next=")
    page = client.get(response["Location"])
    assert "Our privacy policy has changed" in page.content.decode()

    answered = client.post(
        response["Location"], {purpose: "yes" for purpose in ConsentPurpose.values} | {"next": "/catalog/"}
    )
    assert answered.status_code == 302
    assert answered["Location"] == "/catalog/"
    assert client.get("/catalog/").status_code == 200


def test_htmx_request_is_redirected_by_header(client: Client, owner: User) -> None:
    client.force_login(owner)
    policy_publish(version="2027-01", text="A new policy text.")

    response = client.get("/catalog/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/onboarding/consents/")


def test_privacy_page_toggle_withdraws_in_one_click(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.post("/privacy/consents/listening_history/", {"granted": "no"})

    assert response.status_code == 302
    assert "offer_erase=listening_history" in response["Location"]
    assert not consent_allows(owner, ConsentPurpose.LISTENING_HISTORY)
    page = client.get(response["Location"]).content.decode()
    assert "Delete my stored listening history" in page


def test_privacy_page_toggle_by_htmx_returns_the_consents_fragment(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.post(
        "/privacy/consents/experiments/", {"granted": "no"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="consents"' in html
    assert "Experiments: consent withdrawn" in html
    assert "<html" not in html
    assert not consent_allows(owner, ConsentPurpose.EXPERIMENTS)


def test_privacy_page_toggle_of_unknown_purpose_is_404(client: Client, owner: User) -> None:
    client.force_login(owner)
    before = ConsentRecord.objects.count()

    assert client.post("/privacy/consents/sell_my_data/", {"granted": "yes"}).status_code == 404
    assert ConsentRecord.objects.count() == before


def test_purpose_data_erase_runs_the_registered_erasers(client: Client, owner: User) -> None:
    from accounts import privacy

    calls: list[int] = []

    def eraser(*, user: User) -> int:
        calls.append(user.pk)
        return 3

    privacy.register_purpose_eraser(ConsentPurpose.LISTENING_HISTORY, eraser)
    try:
        client.force_login(owner)
        response = client.post("/privacy/consents/listening_history/erase/", follow=True)
    finally:
        privacy._purpose_erasers[ConsentPurpose.LISTENING_HISTORY].remove(eraser)

    assert calls == [owner.pk]
    assert "Deleted 3 stored records" in response.content.decode()


# --- API ---------------------------------------------------------------------------------------


def test_api_shows_and_changes_consent(api_client: APIClient, owner: User) -> None:
    api_client.force_authenticate(user=owner)

    response = api_client.post("/api/privacy/consents/", {"purpose": "experiments", "granted": False})

    assert response.status_code == 200
    assert response.json()["consents"]["experiments"] is False
    assert response.json()["history"][0]["method"] == "api"
    assert api_client.get("/api/privacy/consents/").json()["policy_version"]
    assert not consent_allows(owner, ConsentPurpose.EXPERIMENTS)


def test_api_refuses_unknown_purpose(api_client: APIClient, owner: User) -> None:
    api_client.force_authenticate(user=owner)
    before = ConsentRecord.objects.count()

    response = api_client.post("/api/privacy/consents/", {"purpose": "sell_my_data", "granted": True})

    assert response.status_code == 400
    assert "purpose" in response.json()
    assert ConsentRecord.objects.count() == before


class StoreEventApi(APIView):
    """What the feedback API will do: refuse to store an event without the consent."""

    def post(self, request: Request) -> Response:
        consent_require(request.user, ConsentPurpose.LISTENING_HISTORY)
        return Response({"stored": True}, status=201)


def test_api_without_consent_answers_403_saying_why(owner: User) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    request = APIRequestFactory().post("/events/", {}, format="json")
    force_authenticate(request, user=owner)

    response = StoreEventApi.as_view()(request)

    assert response.status_code == 403
    assert "listening history" in response.data["detail"]
    assert response.data["detail"].code == "consent_required"
