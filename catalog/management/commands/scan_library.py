"""Scan a music folder into the catalog, in this process, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from tqdm import tqdm

from catalog import media_analysis, sources
from catalog.models import LibraryScan, LibrarySource, MediaFile
from config.errors import ApplicationError
from config.jobs import JobStatus

FAILURES_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Add a music folder as a library (if new) and scan it: new, changed, moved and removed files; "
        "audio analysis is then queued for the worker (queue 'analysis')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="The music folder (absolute path).")
        parser.add_argument("--source", type=int, help="Rescan the library with this id instead.")
        parser.add_argument("--no-analysis", action="store_true", help="Do not analyse the audio.")
        parser.add_argument(
            "--analyse-here",
            action="store_true",
            help="Analyse new and changed files in this process after the scan, instead of the worker.",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Only queue the scan for the worker and return (what `make run` does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = self._source(options["path"], options["source"])
        try:
            scan = sources.library_scan_request(source_id=source.pk, enqueue=options["background"])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        if options["background"]:
            self.stdout.write(
                f"Library “{source.name}” ({source.root}): scan {scan.pk} queued for the worker."
            )
            return
        if scan.status != JobStatus.QUEUED:
            raise CommandError(f"A scan of this library is already running (scan {scan.pk}).", returncode=1)
        if scan.resume_after:
            self.stdout.write(f"Resuming after {scan.resume_after}")
        finished = self._scan(scan, analyse=not options["no_analysis"] and not options["analyse_here"])
        if finished is None:
            raise CommandError(
                f"Scan {scan.pk} was started by a worker meanwhile; see its page.", returncode=1
            )
        self._report(finished)
        if finished.status != JobStatus.SUCCEEDED:
            reason = finished.error or finished.get_status_display()
            raise CommandError(f"The scan did not finish: {reason}", returncode=1)
        if options["no_analysis"]:
            return
        if options["analyse_here"]:
            self._analyse_here(source)
            return
        pending = self._pending(source).count()
        if pending:
            self.stdout.write(
                f"{pending} files queued for audio analysis by the worker (queue 'analysis'); "
                "progress on the libraries page."
            )

    def _source(self, path: str | None, source_id: int | None) -> LibrarySource:
        if source_id is not None:
            if path:
                raise CommandError("Give a folder or --source, not both.", returncode=2)
            source = LibrarySource.objects.filter(pk=source_id).first()
            if source is None:
                raise CommandError(f"No library with id {source_id}.", returncode=1)
            return source
        if not path:
            raise CommandError("Give the music folder to scan, or --source ID.", returncode=2)
        try:
            source, created = sources.library_source_ensure(root=str(Path(path).expanduser().absolute()))
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self.stdout.write(f"{'Added' if created else 'Rescanning'} library “{source.name}” ({source.root})")
        return source

    def _scan(self, scan: LibraryScan, *, analyse: bool) -> LibraryScan | None:
        with tqdm(unit=" files", desc="Scanning", file=self.stderr, dynamic_ncols=True) as bar:

            def on_progress(progress: sources.ScanProgress) -> None:
                counts = progress.scan
                if bar.total != counts.files_total:
                    bar.total = counts.files_total
                    bar.refresh()
                bar.update(counts.files_seen - bar.n)
                bar.set_postfix(
                    new=counts.files_new,
                    changed=counts.files_changed,
                    removed=counts.files_removed,
                    failed=counts.files_failed,
                    refresh=False,
                )

            try:
                return sources.library_scan_run(scan_id=scan.pk, analyse=analyse, on_progress=on_progress)
            except KeyboardInterrupt:
                raise CommandError(
                    f"Interrupted: scan {scan.pk} stopped; run the same command again to resume.",
                    returncode=1,
                ) from None

    def _report(self, scan: LibraryScan) -> None:
        self.stdout.write(
            f"Scan {scan.pk} {scan.get_status_display().lower()}: {scan.files_seen} files seen, "
            f"{scan.files_new} new, {scan.files_changed} changed, {scan.files_unchanged} unchanged, "
            f"{scan.files_removed} removed, {scan.files_failed} failed."
        )
        for failure in scan.failures[:FAILURES_SHOWN]:
            self.stdout.write(f"  failed: {failure['path']}: {failure['reason']}")
        if scan.files_failed > FAILURES_SHOWN:
            self.stdout.write(f"  … and {scan.files_failed - FAILURES_SHOWN} more (see the libraries page).")

    def _pending(self, source: LibrarySource) -> QuerySet[MediaFile]:
        return source.files.filter(removed_at__isnull=True, analysed_at__isnull=True, analysis_error="")

    def _analyse_here(self, source: LibrarySource) -> None:
        pending = list(self._pending(source).order_by("pk").values_list("pk", flat=True))
        failed = 0
        for media_file_id in tqdm(pending, unit=" files", desc="Analysing", file=self.stderr):
            result = media_analysis.media_file_analyse(media_file_id=media_file_id)
            failed += bool(result is not None and result.analysis_error)
        self.stdout.write(f"Analysed {len(pending) - failed} files; {failed} could not be analysed.")
