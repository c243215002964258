"""Operators' commands: publish a policy, erase an account, the demo accounts' consents."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.consent import consent_allows, policy_current
from accounts.models import ConsentPurpose, User
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db


def test_publish_policy_makes_it_current(tmp_path: Path, owner: User) -> None:
    text = tmp_path / "policy.txt"
    text.write_text("Version two of the policy.", encoding="utf-8")

    call_command("publish_policy", "2027-01", str(text), stdout=StringIO())

    policy = policy_current()
    assert policy is not None and policy.version == "2027-01"
    assert not consent_allows(owner, ConsentPurpose.PERSONALIZATION)


def test_publish_policy_refuses_a_duplicate_version_or_a_missing_file(tmp_path: Path) -> None:
    text = tmp_path / "policy.txt"
    text.write_text("Text.", encoding="utf-8")
    current = policy_current()
    assert current is not None

    with pytest.raises(CommandError, match="already exists"):
        call_command("publish_policy", current.version, str(text))
    with pytest.raises(CommandError, match="No such file"):
        call_command("publish_policy", "2027-02", str(tmp_path / "missing.txt"))


def test_erase_account_needs_confirmation_then_erases(owner: User) -> None:
    with pytest.raises(CommandError, match="--yes"):
        call_command("erase_account", "owner@example.com")
    assert User.objects.filter(pk=owner.pk).exists()

    call_command("erase_account", "Owner@Example.com", "--yes", stdout=StringIO())

    assert not User.objects.filter(pk=owner.pk).exists()
    with pytest.raises(CommandError, match="No account"):
        call_command("erase_account", "owner@example.com", "--yes")


def test_demo_accounts_consent_so_nothing_blocks_a_tour() -> None:
    TrackFactory()  # a non-empty catalog: no demo catalog is generated

    call_command("bootstrap_demo", stdout=StringIO())
    call_command("bootstrap_demo", stdout=StringIO())  # idempotent

    for email in ("listener@segue.local", "curator@segue.local", "staff@segue.local"):
        user = User.objects.get(email=email)
        assert all(consent_allows(user, purpose) for purpose in ConsentPurpose)
        assert user.consent_records.count() == len(ConsentPurpose)
