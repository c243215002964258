from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import account_erase


class Command(BaseCommand):
    help = (
        "Erase an account and everything held about it, now (what 'Delete my account' queues), "
        "e.g. for an erasure request received by e-mail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The account's e-mail address.")
        parser.add_argument("--yes", action="store_true", help="Confirm: this cannot be undone.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account with the e-mail {options['email']}.")
        if not options["yes"]:
            raise CommandError("Erasure cannot be undone; run again with --yes to confirm.")
        account_erase(user_id=user.pk)
        self.stdout.write(self.style.SUCCESS(f"Erased {options['email']} and all their data."))
