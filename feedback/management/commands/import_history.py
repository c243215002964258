"""Import a listener's listening history from Spotify, ListenBrainz or Last.fm into their events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.consent import ConsentRequired
from accounts.models import User
from config.errors import ApplicationError
from feedback import history_imports
from feedback.history_formats import HistoryFormatError
from feedback.models import HistoryFormat

EXIT_BAD_FILE = 2
EXIT_NO_CONSENT = 3


class Command(BaseCommand):
    help = (
        "Import a listening history (Spotify extended streaming history JSON/ZIP, ListenBrainz "
        "JSON lines/ZIP, Last.fm scrobbles CSV) into a listener's events. Plays are matched to the "
        "catalog; importing the same file again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="E-mail of the listener.")
        parser.add_argument("--format", required=True, choices=HistoryFormat.values, dest="history_format")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=EXIT_BAD_FILE)
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the e-mail {options['user']}.") from None
        with (
            path.open("rb") as handle,
            tqdm(
                total=path.stat().st_size, unit="B", unit_scale=True, desc="Importing", file=self.stderr
            ) as bar,
        ):
            summary = history_imports.HistoryImportSummary()

            def show_progress() -> None:
                bar.update(handle.tell() - bar.n)

            try:
                history_imports.history_import_stream(
                    user=user,
                    handle=handle,
                    history_format=options["history_format"],
                    name=path.name,
                    summary=summary,
                    on_progress=show_progress,
                )
            except HistoryFormatError as error:
                raise CommandError(
                    f"{error} {history_imports.history_partial_note(summary)}", returncode=EXIT_BAD_FILE
                ) from error
            except ConsentRequired as error:
                raise CommandError(str(error), returncode=EXIT_NO_CONSENT) from error
            except ApplicationError as error:
                raise CommandError(error.message, returncode=EXIT_BAD_FILE) from error
        self._report(summary)

    def _report(self, summary: history_imports.HistoryImportSummary) -> None:
        self.stdout.write(
            f"Plays read: {summary.plays_read:,}; matched to the catalog: {summary.plays_matched:,}; "
            f"not in the catalog: {summary.plays_unmatched:,}; rows skipped: {summary.rows_skipped:,}."
        )
        self.stdout.write(
            f"Events stored: {summary.events_stored:,}; already imported before: "
            f"{summary.events_already_imported:,}."
        )
        for problem in summary.skipped[:20]:
            self.stdout.write(f"  skipped {problem.where}: {problem.reason}")
        for row in summary.unmatched_report()[:10]:
            self.stdout.write(
                f"  not in the catalog: {row['artist']} — {row['title']} ({row['plays']} plays)"
            )
        self.stdout.write(self.style.SUCCESS("Done."))
