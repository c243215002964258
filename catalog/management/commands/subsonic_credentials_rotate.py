"""Re-encrypt every stored media-server credential with the current SUBSONIC_CREDENTIALS_KEY."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog.subsonic_secrets import credentials_rotate
from config.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "After changing SUBSONIC_CREDENTIALS_KEY (or SECRET_KEY without one): with the old key(s) in "
        "SUBSONIC_CREDENTIALS_OLD_KEYS, re-encrypt every stored server password and API key with the new key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = credentials_rotate()
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from None
        self.stdout.write(f"Re-encrypted {count} stored credential{'s' if count != 1 else ''}.")
