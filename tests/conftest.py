"""Shared fixtures: the people in every test (healthchecks' alice/bob/charlie, our roles)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, Role, User
from accounts.services import consent_record_choices, policy_ensure_initial, user_create
from config.celery import app as celery_app

USER_PASSWORD = "listen-to-the-segue-42"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without native libraries' exit-time teardown, once pytest has reported.

    torch's thread pools, once a test's Celery worker thread has used the model, can abort the
    interpreter at exit ("terminate called without an active exception", SIGABRT) after every
    test has passed, which would turn a green run red.
    """
    status = config.stash.get(_EXIT_STATUS, None)
    if status is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


_EXIT_STATUS = pytest.StashKey[int]()


@pytest.fixture
def user_password() -> str:
    """The password every fixture user logs in with."""
    return USER_PASSWORD


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Each test starts with an empty cache (current policy id, throttling counts)."""
    cache.clear()
    yield
    cache.clear()


def consenting_user(email: str, role: Role) -> User:
    """A user who answered yes to every consent purpose under the current policy.

    Fixture users are active listeners; a test about a missing consent withdraws it
    (``consent_withdraw``) or uses ``unconsented_user``.
    """
    user = user_create(email=email, password=USER_PASSWORD, role=role)
    # Tests on a committed database (a real worker) flush the migration's initial policy.
    policy_ensure_initial()
    consent_record_choices(user=user, choices=dict.fromkeys(ConsentPurpose.values, True))
    return user


@pytest.fixture
def owner(db: None) -> User:
    """A listener who owns the objects under test (consents to every purpose)."""
    return consenting_user("owner@example.com", Role.LISTENER)


@pytest.fixture
def other_user(db: None) -> User:
    """A second listener: a stranger to `owner`'s objects (expects 404s)."""
    return consenting_user("other@example.com", Role.LISTENER)


@pytest.fixture
def unconsented_user(db: None) -> User:
    """A listener who has not answered any consent question (just signed up)."""
    policy_ensure_initial()
    return user_create(email="new@example.com", password=USER_PASSWORD, role=Role.LISTENER)


@pytest.fixture
def curator(db: None) -> User:
    return consenting_user("curator@example.com", Role.CURATOR)


@pytest.fixture
def staff_user(db: None) -> User:
    return consenting_user("staff@example.com", Role.STAFF)


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
