"""`manage.py bootstrap_demo`: the demo catalog and the demo accounts of a fresh install.

It lives in catalog because it loads the catalog and creates accounts: catalog sits above
accounts, which never imports it.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import ConsentMethod, ConsentPurpose, Role
from accounts.services import consent_record_choices, policy_ensure_initial, user_ensure
from catalog.models import Track
from catalog.services import catalog_demo_load

DEMO_USERS = (
    ("listener@segue.local", Role.LISTENER, "Demo Listener"),
    ("curator@segue.local", Role.CURATOR, "Demo Curator"),
    ("staff@segue.local", Role.STAFF, "Demo Staff"),
)


class Command(BaseCommand):
    help = (
        "Make a fresh install usable: load the generated demo catalog when the catalog is empty "
        "and create the demo listener, curator and staff accounts (printing their logins)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tracks", type=int, default=3000, help="Demo catalog size.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Track.objects.exists():
            self.stdout.write(f"Catalog has {Track.objects.count()} tracks; demo catalog not loaded.")
        else:
            summary = catalog_demo_load(count=options["tracks"])
            self.stdout.write(
                f"Loaded the DEMO catalog: {summary.tracks_created} generated tracks (labelled demo data); "
                "the worker is embedding them now (progress on /catalog/imports/)."
            )
        password = os.environ.get("SEGUE_DEMO_PASSWORD", "segue-demo")
        self.stdout.write(f"Demo logins (password for each: {password}):")
        policy_ensure_initial()
        for email, role, name in DEMO_USERS:
            user, created = user_ensure(email=email, password=password, role=role, display_name=name)
            # Demo users consent to everything under the current policy, so nothing blocks a tour.
            consent_record_choices(
                user=user, choices=dict.fromkeys(ConsentPurpose.values, True), method=ConsentMethod.DEMO
            )
            state = "created" if created else "exists"
            self.stdout.write(self.style.SUCCESS(f"  {role.label:<9} {email}  ({state})"))
