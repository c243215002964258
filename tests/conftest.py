"""Shared fixtures: the people in every test (healthchecks' alice/bob/charlie, our roles)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import user_create
from config.celery import app as celery_app

USER_PASSWORD = "listen-to-the-segue-42"


@pytest.fixture
def user_password() -> str:
    """The password every fixture user logs in with."""
    return USER_PASSWORD


@pytest.fixture
def owner(db: None) -> User:
    """A listener who owns the objects under test."""
    return user_create(email="owner@example.com", password=USER_PASSWORD, role=Role.LISTENER)


@pytest.fixture
def other_user(db: None) -> User:
    """A second listener: a stranger to `owner`'s objects (expects 404s)."""
    return user_create(email="other@example.com", password=USER_PASSWORD, role=Role.LISTENER)


@pytest.fixture
def curator(db: None) -> User:
    return user_create(email="curator@example.com", password=USER_PASSWORD, role=Role.CURATOR)


@pytest.fixture
def staff_user(db: None) -> User:
    return user_create(email="staff@example.com", password=USER_PASSWORD, role=Role.STAFF)


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def api_client() -> APIClient:
    """An unauthenticated DRF client; call `force_authenticate(user=...)` or `login(...)` on it."""
    return APIClient()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[object]:
    """A real Celery worker (in a thread of this process) consuming the real Redis broker.

    Tests using it must commit their data (``django_db(transaction=True)``, implied here) so
    the worker's own database connection sees it.
    """
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
    celery_app.control.purge()
