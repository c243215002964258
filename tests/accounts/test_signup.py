"""Sign-up, onboarding (consents, then taste seeds), password reset, lockout with a cool-off."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, ConsentRecord, User
from feedback.models import TasteSeed
from feedback.taste_seeds import taste_seeds_for_user
from tests.catalog.factories import TagFactory, TrackFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "a-long-and-unusual-passphrase-77"
SIGNUP = "/accounts/signup/"
CONSENTS = "/accounts/onboarding/consents/"


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "email": "New.Listener@Example.com",
        "display_name": "New",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        **overrides,
    }


def test_signup_then_consents_then_taste_then_the_app(client: Client) -> None:
    rock = TagFactory(name="rock")
    TrackFactory(artists=["The Dawns"], tags=[rock])

    sent = client.post(SIGNUP, signup_data())
    assert sent.status_code == 200 and "Check your e-mail" in sent.content.decode()
    assert not User.objects.filter(email="new.listener@example.com").exists()
    response = client.post(_confirm_link(mail.outbox[-1].body))
    assert response.status_code == 302
    assert response["Location"] == f"{CONSENTS}?onboarding=1"
    user = User.objects.get(email="new.listener@example.com")

    # Until the consents are answered, the app sends the listener back to them.
    assert client.get("/catalog/")["Location"].startswith(CONSENTS)

    page = client.get(response["Location"]).content.decode()
    assert "Store my listening events" in page
    answered = client.post(
        CONSENTS,
        {"onboarding": "1", "personalization": "yes", "listening_history": "yes", "experiments": "no"},
    )
    assert answered["Location"] == "/accounts/onboarding/taste/"
    assert consent_allows(user, ConsentPurpose.PERSONALIZATION)
    assert not consent_allows(user, ConsentPurpose.EXPERIMENTS)

    artist_id = TrackFactory._meta.model.objects.get().artists.get().pk
    taste = client.post("/accounts/onboarding/taste/", {"tags": [rock.pk], "artists": [artist_id]})
    assert taste["Location"] == "/playlists/"
    seeds = taste_seeds_for_user(user=user)
    assert [tag.name for tag in seeds.tags] == ["rock"]
    assert [artist.name for artist in seeds.artists] == ["The Dawns"]
    assert client.get("/catalog/").status_code == 200


def _confirm_link(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/signup/confirm/\S+/)", body)
    assert match, body
    return match.group(1)


def test_signup_does_not_reveal_a_registered_address(client: Client, owner: User, user_password: str) -> None:
    taken = client.post(SIGNUP, signup_data(email="OWNER@example.com"))
    new = client.post(SIGNUP, signup_data(email="someone.new@example.com"))

    def page(response: HttpResponse) -> str:
        text = re.sub(r"(owner|someone\.new)@example\.com", "X", response.content.decode())
        return re.sub(r"[A-Za-z0-9]{64}", "", text)  # masked CSRF tokens differ on every response

    assert taken.status_code == new.status_code == 200
    assert page(taken) == page(new)
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1
    assert not User.objects.filter(email="someone.new@example.com").exists()
    # The owner of the taken address hears of it by e-mail; the account is untouched.
    (to_owner,) = [message for message in mail.outbox if message.to == ["owner@example.com"]]
    assert "already has an account" in to_owner.body
    owner.refresh_from_db()
    assert owner.check_password(user_password)


def test_a_signup_link_works_once_and_a_tampered_one_not_at_all(client: Client) -> None:
    client.post(SIGNUP, signup_data())
    link = _confirm_link(mail.outbox[-1].body)

    tampered = client.post(link[:-6] + "xxxxx/")
    first = client.post(link)
    client.logout()
    again = client.post(link)

    assert tampered.status_code == 400
    assert first.status_code == 302
    assert again.status_code == 400 and "used already" in again.content.decode()
    user = User.objects.get(email="new.listener@example.com")
    assert user.check_password(STRONG_PASSWORD)
    assert client.get(link).status_code == 200  # the page with the button; nothing made by GET


def test_password_reset_is_rate_limited(client: Client, owner: User, settings: object) -> None:
    limit = settings.PASSWORD_RESET_MAX_PER_HOUR  # type: ignore[attr-defined]
    answers = [
        client.post("/accounts/password/reset/", {"email": "owner@example.com"}).status_code
        for _ in range(limit + 2)
    ]

    assert answers == [302] * limit + [429, 429]
    assert len(mail.outbox) == limit


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901"])
def test_signup_with_weak_password_is_refused(client: Client, password: str) -> None:
    response = client.post(SIGNUP, signup_data(password1=password, password2=password))

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not User.objects.filter(email="new.listener@example.com").exists()


def test_signup_with_different_passwords_is_refused(client: Client) -> None:
    response = client.post(SIGNUP, signup_data(password2="something-else-entirely-42"))

    assert response.status_code == 400
    assert "The two passwords differ" in response.content.decode()


def test_consent_form_with_a_missing_answer_is_refused(client: Client, unconsented_user: User) -> None:
    client.force_login(unconsented_user)

    response = client.post(CONSENTS, {"personalization": "yes", "listening_history": "no"})

    assert response.status_code == 400
    assert "Please answer yes or no" in response.content.decode()
    assert not ConsentRecord.objects.filter(user=unconsented_user).exists()


def test_tampered_consent_form_is_refused(client: Client, unconsented_user: User) -> None:
    client.force_login(unconsented_user)
    answers = dict.fromkeys(ConsentPurpose.values, "yes")

    unknown_purpose = client.post(CONSENTS, {**answers, "sell_my_data": "yes"})
    bad_answer = client.post(CONSENTS, {**answers, "experiments": "maybe"})

    assert unknown_purpose.status_code == 400
    assert "Unknown consent purpose: sell_my_data" in unknown_purpose.content.decode()
    assert bad_answer.status_code == 400
    assert not ConsentRecord.objects.filter(user=unconsented_user).exists()


def test_taste_pick_of_unknown_ids_is_refused(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.post("/accounts/onboarding/taste/", {"tags": ["999999"]})

    assert response.status_code == 400
    assert not TasteSeed.objects.filter(user=owner).exists()


def test_password_reset_sends_a_working_link(client: Client, owner: User) -> None:
    response = client.post("/accounts/password/reset/", {"email": "owner@example.com"})

    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD})
    assert done["Location"] == "/accounts/password/reset/done/"
    owner.refresh_from_db()
    assert owner.check_password(STRONG_PASSWORD)


def test_password_change_needs_the_old_password(client: Client, owner: User, user_password: str) -> None:
    client.force_login(owner)

    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    right = client.post(
        "/accounts/password/change/",
        {"old_password": user_password, "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )

    assert wrong.status_code == 200
    assert right["Location"] == "/accounts/password/change/done/"


# --- brute force -----------------------------------------------------------------------------------


def login(client: Client, email: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": email, "password": password}).status_code


def test_repeated_failures_lock_the_login_then_it_cools_off(
    client: Client, owner: User, user_password: str, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    for _ in range(limit - 1):
        assert login(client, "owner@example.com", "wrong-password") == 200
    # The failure that reaches the limit is answered with the lockout page.
    assert login(client, "owner@example.com", "wrong-password") == 429

    # Locked: even the right password (and another spelling of the e-mail) is refused.
    locked = client.post("/accounts/login/", {"username": "Owner@Example.com", "password": user_password})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()

    # After the cool-off the right password works again.
    cooloff = settings.AXES_COOLOFF_TIME  # type: ignore[attr-defined]
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= cooloff + timedelta(seconds=1)
        attempt.save(update_fields=["attempt_time"])
    assert login(client, "owner@example.com", user_password) == 302


def test_a_success_resets_the_failure_count(
    client: Client, owner: User, user_password: str, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    for _ in range(limit - 1):
        login(client, "owner@example.com", "wrong-password")
    assert login(client, "owner@example.com", user_password) == 302
    client.logout()

    assert login(client, "owner@example.com", "wrong-password") == 200
    assert login(client, "owner@example.com", user_password) == 302


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/MQ/bad-token/",
    ],
)
def test_account_pages_render_for_visitors(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/change/",
        "/accounts/password/change/done/",
        "/accounts/onboarding/consents/",
        "/privacy/delete/",
    ],
)
def test_account_pages_render_for_listeners(client: Client, owner: User, path: str) -> None:
    client.force_login(owner)

    assert client.get(path).status_code == 200


def test_logged_in_visitor_of_signup_goes_to_the_privacy_page(client: Client, owner: User) -> None:
    client.force_login(owner)

    assert client.get(SIGNUP)["Location"] == "/privacy/"


def test_api_docs_render_under_the_content_security_policy(client: Client, owner: User) -> None:
    client.force_login(owner)

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert "<script>" not in page.content.decode()
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
