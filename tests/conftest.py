"""Shared fixtures: the people in every test (healthchecks' alice/bob/charlie, our roles), the
embedded services, and a real Celery worker process."""

from __future__ import annotations

import importlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models.signals import post_migrate
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, Role, User
from accounts.services import consent_record_choices, user_create
from config import embedded
from tests.workers import celery_worker_process

USER_PASSWORD = "listen-to-the-segue-42"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The order's seed again at the end, where a failed run is read (the header has it too)."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int):
        terminalreporter.write_line(f"random order: -p randomly --randomly-seed={seed} repeats it")


@pytest.fixture(scope="session", autouse=True)
def _embedded_broker() -> None:
    """The embedded Redis (tests use its database 15), unless TEST_REDIS_URL names another.

    Importing the settings starts no server; the embedded PostgreSQL starts on the test
    database's first connection (config/embedded_postgres).
    """
    if not os.environ.get("TEST_REDIS_URL"):
        embedded.redis_ensure()


# --- the rows the data migrations seed, restored after every flush ------------------------------
#
# A transactional test (``transaction=True``, a real worker) ends with a flush that empties every
# table, also of the rows the data migrations wrote: the role groups and the initial privacy
# policy. The flush then sends ``post_migrate`` (as Django's own content types and permissions
# rely on), and here the same migration code writes them again, so no later test, in whatever
# order, sees a database the application never has.

_SEEDING_MIGRATIONS = [
    ("accounts.migrations.0002_roles", "create_roles"),
    ("accounts.migrations.0004_initial_policy_append_only_ledger", "publish_initial_policy"),
]


def _seeded_rows_restore(**_kwargs: object) -> None:
    for module_name, function_name in _SEEDING_MIGRATIONS:
        getattr(importlib.import_module(module_name), function_name)(django_apps, None)
    # The current policy's id is cached; a flushed one must not be served from the cache.
    cache.clear()


post_migrate.connect(
    _seeded_rows_restore,
    sender=django_apps.get_app_config("accounts"),
    dispatch_uid="tests.seeded_rows_restore",
)


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
    return user_create(email="new@example.com", password=USER_PASSWORD, role=Role.LISTENER)


@pytest.fixture
def curator(db: None) -> User:
    return consenting_user("curator@example.com", Role.CURATOR)


@pytest.fixture
def staff_user(db: None) -> User:
    return consenting_user("staff@example.com", Role.STAFF)


@pytest.fixture
def owner_client(owner: User) -> Client:
    """A Django test client signed in as `owner`, for the web pages (``api_client`` is the API's)."""
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def api_client() -> APIClient:
    """An unauthenticated DRF client; call `force_authenticate(user=...)` or `login(...)` on it."""
    return APIClient()


@pytest.fixture
def celery_worker(
    transactional_db: None, request: pytest.FixtureRequest, tmp_path: Path, settings: object
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the default queue (``tests/workers.py``).

    Tests using it must commit their data (``django_db(transaction=True)``, implied here) so the
    worker's own connection sees it. Settings a test changes here do not reach it: it gets
    ``MEDIA_ROOT`` = ``tmp_path`` (set here for the test too) and whatever a ``worker_env``
    marker names.
    """
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    marker = request.node.get_closest_marker("worker_env")
    env = {"MEDIA_ROOT": str(tmp_path), **(marker.kwargs if marker else {})}
    with celery_worker_process(log_dir=tmp_path, env=env) as process:
        yield process
