"""The privacy center in plain words: labels and sentences instead of model names, real numbers
instead of setting names, and the offer to delete data kept until it is answered."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, EraseOffer, User
from accounts.privacy import user_relations
from accounts.privacy_words import DATA_KINDS, data_kind, policy_for_reading
from accounts.services import account_erase, consent_grant, consent_withdraw
from feedback.taste_seeds import taste_seeds_set
from tests.catalog.factories import TagFactory

pytestmark = pytest.mark.django_db

OFFER = "Also delete what was already stored?"
CENTER = "/privacy/"


def test_every_kind_of_data_held_has_a_label_and_a_sentence() -> None:
    for relation in user_relations():
        assert relation.label in DATA_KINDS, f"{relation.label} has no words in accounts/privacy_words.py"
        words = DATA_KINDS[relation.label]
        assert words.label[0].isupper() and words.sentence.endswith(".")
        assert (
            words.label.lower() != str(relation.model._meta.verbose_name_plural).lower() or " " in words.label
        )


def test_a_kind_without_words_reads_as_a_mended_plural() -> None:
    assert data_kind("x.trackaffinity", "track affinitys").label == "Track affinities"
    assert data_kind("x.policystat", "policy stats").label == "Policy stats"
    assert data_kind("feedback.trackaffinity", "track affinitys").label == "How much you like each track"


def test_the_policy_names_numbers_not_settings() -> None:
    text = "Raw listening events are kept for a limited time (EVENT_RETENTION_DAYS), then aggregated."

    assert policy_for_reading(text, {"EVENT_RETENTION_DAYS": 30}) == (
        "Raw listening events are kept for a limited time (30 days), then aggregated."
    )


def test_the_privacy_center_speaks_plain_words_and_real_numbers(
    client: Client, owner: User, settings: Settings
) -> None:
    settings.EVENT_RETENTION_DAYS = 200
    settings.DATA_EXPORT_TTL_HOURS = 72
    rock = TagFactory(name="rock")
    taste_seeds_set(user=owner, tag_ids=[rock.pk], artist_ids=[])
    client.force_login(owner)

    page = client.get(CENTER).content.decode()

    assert "Your consent answers" in page and "Genres and artists you picked" in page
    assert "What you chose when you joined; it seeds your first playlists." in page
    assert "Consent records" not in page and "Taste seeds" not in page
    assert "kept for 200 days" in page and "(200 days)" in page
    assert "for 3 days after it is ready" in page
    assert "EVENT_RETENTION_DAYS" not in page and "DATA_EXPORT_TTL_HOURS" not in page


def test_the_onboarding_policy_shows_the_number(client: Client, unconsented_user: User) -> None:
    client.force_login(unconsented_user)

    page = client.get("/accounts/onboarding/consents/").content.decode()

    assert "(365 days)" in page and "EVENT_RETENTION_DAYS" not in page


def test_the_offer_to_delete_survives_reloads_until_kept(client: Client, owner: User) -> None:
    client.force_login(owner)

    client.post(f"/privacy/consents/{ConsentPurpose.LISTENING_HISTORY}/", {"granted": "no"})

    assert OFFER in client.get(CENTER).content.decode()
    assert OFFER in client.get(CENTER).content.decode()
    response = client.post(f"/privacy/consents/{ConsentPurpose.LISTENING_HISTORY}/keep/")
    assert response.status_code == 302
    page = client.get(CENTER).content.decode()
    assert OFFER not in page and "Kept your stored listening history" in page


def test_the_offer_goes_once_the_data_is_deleted(client: Client, owner: User) -> None:
    client.force_login(owner)
    fragment = client.post(
        f"/privacy/consents/{ConsentPurpose.PERSONALIZATION}/",
        {"granted": "no"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert OFFER in fragment and "Delete my stored personalization" in fragment

    client.post(f"/privacy/consents/{ConsentPurpose.PERSONALIZATION}/erase/")

    assert OFFER not in client.get(CENTER).content.decode()
    assert not EraseOffer.objects.filter(user=owner).exists()


def test_an_api_withdrawal_opens_the_offer_and_granting_again_hides_it(
    client: Client, api_client: APIClient, owner: User
) -> None:
    api_client.force_authenticate(user=owner)
    client.force_login(owner)

    api_client.post("/api/privacy/consents/", {"purpose": "experiments", "granted": False})
    assert "You withdrew “Experiments”" in client.get(CENTER).content.decode()

    consent_grant(user=owner, purpose=ConsentPurpose.EXPERIMENTS)
    assert OFFER not in client.get(CENTER).content.decode()


def test_offers_are_per_listener_and_go_with_the_account(
    owner: User, other_user: User, client: Client
) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.EXPERIMENTS)
    client.force_login(other_user)

    assert OFFER not in client.get(CENTER).content.decode()
    assert client.post(f"/privacy/consents/{ConsentPurpose.EXPERIMENTS}/keep/").status_code == 302
    assert EraseOffer.objects.filter(user=owner).count() == 1
    assert client.post("/privacy/consents/sell_my_data/keep/").status_code == 404

    account_erase(user_id=owner.pk)
    assert not EraseOffer.objects.exists()
