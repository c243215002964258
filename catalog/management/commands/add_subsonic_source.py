"""Add a Subsonic / OpenSubsonic server as a library and import it (in this process, or queued).

The password (or API key) is read from the SUBSONIC_PASSWORD / SUBSONIC_API_KEY environment
variables or asked for at a prompt, never taken from the command line (it would show in the
process list and the shell history).
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog import subsonic_services
from catalog.models import LibraryScan, SubsonicAccount
from config.errors import ApplicationError
from config.jobs import JobStatus


class Command(BaseCommand):
    help = (
        "Add a Subsonic-compatible server (Navidrome, Gonic, Airsonic, Supysonic…) and import its library. "
        "Password from SUBSONIC_PASSWORD or a prompt; an OpenSubsonic API key from SUBSONIC_API_KEY "
        "(or --api-key-prompt)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="The server's address, e.g. https://music.example.org")
        parser.add_argument("--user", default="", help="The server user Segue reads the library as.")
        parser.add_argument("--name", default="", help="A name for the library (default: the host).")
        parser.add_argument(
            "--api-key-prompt", action="store_true", help="Ask for an API key instead of a password."
        )
        parser.add_argument("--background", action="store_true", help="Only queue the import for the worker.")
        parser.add_argument(
            "--no-analysis", action="store_true", help="Do not queue audio analysis afterwards."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password, api_key = self._secret(options)
        try:
            source = subsonic_services.subsonic_source_add(
                base_url=options["url"],
                username=options["user"],
                password=password,
                api_key=api_key,
                name=options["name"],
            )
            scan = subsonic_services.subsonic_sync_request(source_id=source.pk, enqueue=options["background"])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from None
        account = SubsonicAccount.objects.get(source=source)
        self.stdout.write(
            f"Added “{source.name}” (library {source.pk}): API {account.api_version}, "
            f"{account.get_auth_mode_display().lower()}."
        )
        if options["background"]:
            self.stdout.write(f"Import {scan.pk} queued for the worker.")
            return
        finished = subsonic_services.subsonic_sync_run(
            scan_id=scan.pk, analyse=not options["no_analysis"], on_progress=self._progress
        )
        self._report(finished)

    def _secret(self, options: dict[str, Any]) -> tuple[str, str]:
        api_key = os.environ.get("SUBSONIC_API_KEY", "")
        password = os.environ.get("SUBSONIC_PASSWORD", "")
        if api_key or password:
            return password, api_key
        if options["api_key_prompt"]:
            return "", getpass.getpass("API key: ")
        if not options["user"]:
            raise CommandError(
                "Give --user (with a password), or an API key (SUBSONIC_API_KEY).", returncode=2
            )
        return getpass.getpass(f"Password for {options['user']}: "), ""

    def _progress(self, scan: LibraryScan) -> None:
        self.stdout.write(f"  {scan.files_seen} of {scan.files_total} songs", ending="\r")
        self.stdout.flush()

    def _report(self, scan: LibraryScan | None) -> None:
        if scan is None:
            raise CommandError(
                "The import was started by a worker meanwhile; see the libraries page.", returncode=1
            )
        self.stdout.write(
            f"\n{scan.get_status_display()}: {scan.files_seen} songs read, {scan.files_new} new, "
            f"{scan.files_changed} changed, {scan.files_removed} removed, {scan.files_failed} failed."
        )
        for failure in scan.failures[:20]:
            self.stdout.write(f"  {failure['path']}: {failure['reason']}")
        if scan.status != JobStatus.SUCCEEDED:
            raise CommandError(scan.error or "The import did not finish.", returncode=1)
