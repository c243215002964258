from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import policy_publish
from config.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Publish a new privacy policy version from a text file. Every listener is asked for their "
        "consents again at their next visit; until they answer, no purpose is allowed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="A new version name, e.g. 2027-01.")
        parser.add_argument("text_file", type=Path, help="The policy text (UTF-8).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["text_file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            policy = policy_publish(version=options["version"], text=path.read_text(encoding="utf-8"))
        except (ApplicationError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Published policy {policy.version}."))
