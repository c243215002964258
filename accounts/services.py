from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Role, User
from config.errors import ApplicationError


@transaction.atomic
def user_create(*, email: str, password: str, role: Role = Role.LISTENER, display_name: str = "") -> User:
    normalized = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=normalized).exists():
        raise ApplicationError(f"An account for {normalized} already exists.")
    user = User.objects.create_user(
        normalized,
        password,
        display_name=display_name,
        is_staff=role == Role.STAFF,
    )
    # get_or_create: the role groups come from a data migration, but a flushed database lacks them.
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


@transaction.atomic
def user_ensure(*, email: str, password: str, role: Role, display_name: str = "") -> tuple[User, bool]:
    """Return the user with this e-mail, creating it with the role if missing (demo set-up)."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    return user_create(email=email, password=password, role=role, display_name=display_name), True
