"""Every password check counts toward the same lockout as the login form (django-axes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.helpers import get_lockout_response
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from accounts.lockout import duration_words
from accounts.models import User

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "a-much-Longer-passphrase-42"


def wrong_delete(api_client: APIClient) -> int:
    return api_client.post("/api/account/delete/", {"password": "wrong"}, format="json").status_code


def test_account_delete_api_locks_after_the_login_failure_limit(
    api_client: APIClient, owner: User, user_password: str, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    api_client.force_authenticate(owner)

    answers = [wrong_delete(api_client) for _ in range(limit + 3)]
    right = api_client.post("/api/account/delete/", {"password": user_password}, format="json")

    assert answers[: limit - 1] == [400] * (limit - 1)
    assert set(answers[limit - 1 :]) == {429}
    assert right.status_code == 429
    assert "Try again in 15 minutes" in right.json()["detail"]
    owner.refresh_from_db()
    assert owner.is_active


def test_wrong_passwords_on_account_delete_lock_the_login_form(
    api_client: APIClient, client: Client, owner: User, user_password: str, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    api_client.force_authenticate(owner)
    for _ in range(limit - 1):
        assert wrong_delete(api_client) == 400

    login = client.post("/accounts/login/", {"username": "owner@example.com", "password": "still-wrong"})
    locked = client.post("/accounts/login/", {"username": "owner@example.com", "password": user_password})

    assert login.status_code == 429
    assert locked.status_code == 429


def test_password_change_counts_wrong_old_passwords(
    client: Client, owner: User, user_password: str, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    client.force_login(owner)
    form = {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}
    for _ in range(limit):
        client.post("/accounts/password/change/", {"old_password": "nope", **form})

    right = client.post("/accounts/password/change/", {"old_password": user_password, **form})

    assert right.status_code == 200
    assert "Try again in 15 minutes" in right.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(user_password)


def test_web_account_delete_counts_toward_the_lockout(
    client: Client, owner: User, user_password: str, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    client.force_login(owner)
    for _ in range(limit):
        client.post("/privacy/delete/", {"password": "nope", "confirm": "on"})

    right = client.post("/privacy/delete/", {"password": user_password, "confirm": "on"})

    assert right.status_code == 400
    assert "Try again in 15 minutes" in right.content.decode()
    owner.refresh_from_db()
    assert owner.is_active


def test_lockout_page_says_the_wait_in_words(client: Client, owner: User, settings: object) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    for _ in range(limit):
        response = client.post("/accounts/login/", {"username": "owner@example.com", "password": "wrong"})

    page = response.content.decode()
    assert response.status_code == 429
    assert "Try again in 15 minutes." in page
    assert "PT15M" not in page


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2, minutes=30), "2 hours 30 minutes"),
        (timedelta(seconds=5), "1 minute"),
    ],
)
def test_duration_words(duration: timedelta, words: str) -> None:
    assert duration_words(duration) == words


def test_the_api_answers_a_lockout_in_json_from_the_first_locked_answer(
    api_client: APIClient, owner: User, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    api_client.force_authenticate(owner)

    answers = [
        api_client.post("/api/account/delete/", {"password": "wrong"}, format="json")
        for _ in range(limit + 1)
    ]

    for answer in answers[limit - 1 :]:
        assert answer.status_code == 429
        assert answer["Content-Type"] == "application/json"
        assert "Try again in 15 minutes" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/account/delete/", "application/json"), ("/accounts/login/", "text/html; charset=utf-8")],
)
def test_the_lockout_answer_is_json_on_api_paths_and_the_page_elsewhere(path: str, content_type: str) -> None:
    response = get_lockout_response(RequestFactory().post(path), credentials={"username": "x@example.com"})

    assert response.status_code == 429
    assert response["Content-Type"] == content_type
    assert "Try again in 15 minutes" in response.content.decode()
