from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.db import IntegrityError

from accounts.models import Role, User
from accounts.services import user_create
from config.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_email_and_password_authenticate(owner: User, user_password: str) -> None:
    assert authenticate(email="owner@example.com", password=user_password) == owner


def test_wrong_password_does_not_authenticate(owner: User) -> None:
    assert authenticate(email="owner@example.com", password="not-the-password") is None


def test_user_create_stores_email_lowercased() -> None:
    user = user_create(email="Mixed.Case@Example.COM", password="listen-to-the-segue-42")

    user.refresh_from_db()
    assert user.email == "mixed.case@example.com"


def test_user_create_rejects_email_that_differs_only_in_case(owner: User) -> None:
    with pytest.raises(ApplicationError, match="already exists"):
        user_create(email="OWNER@Example.com", password="listen-to-the-segue-42")

    assert User.objects.filter(email__iexact="owner@example.com").count() == 1


def test_database_refuses_case_insensitive_duplicate_email(owner: User) -> None:
    # The constraint holds even for writes that bypass the service.
    with pytest.raises(IntegrityError):
        User.objects.create(email="Owner@Example.com")


def test_role_groups_exist_after_migrations() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_new_user_gets_the_group_of_its_role(curator: User) -> None:
    assert list(curator.groups.values_list("name", flat=True)) == [Role.CURATOR.value]


def test_curator_and_staff_are_curators_listener_is_not(curator: User, staff_user: User, owner: User) -> None:
    assert curator.is_curator
    assert staff_user.is_curator
    assert staff_user.is_staff
    assert not owner.is_curator
    assert not curator.is_staff


def test_login_email_is_case_insensitive(owner: User, user_password: str) -> None:
    assert authenticate(email="Owner@Example.COM", password=user_password) == owner
