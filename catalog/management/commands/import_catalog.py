from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog import embedding_services, importing, selectors, services
from catalog.importing import ImportFileError, ImportSpec


class Command(BaseCommand):
    help = (
        "Import a catalog file (CSV or JSON lines, optionally .gz). Rows of one track merge; "
        "re-importing updates by source id. Example (the Spotify set): import_catalog "
        "spotify_songs.csv.gz --source spotify --map source_id=track_id,title=track_name,"
        "artist=track_artist --tags-from playlist_genre:genre,playlist_subgenre:genre"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=importing.FORMATS, help="Default: from the file name.")
        parser.add_argument("--source", default="import", help="Where the ids come from, e.g. spotify.")
        parser.add_argument("--map", default="", help="field=column pairs, comma-separated.")
        parser.add_argument(
            "--tags-from",
            default="",
            help="Columns whose values become tags: col[:kind],… (kind default genre).",
        )
        parser.add_argument("--strict", action="store_true", help="Refuse the whole file if any row is bad.")
        parser.add_argument("--batch-size", type=int, default=services.IMPORT_BATCH_SIZE)
        parser.add_argument("--no-embed", action="store_true", help="Do not queue embedding afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            spec = ImportSpec(
                file_format=importing.detect_format(path, options["format"]),
                column_map=importing.parse_column_map(options["map"]),
                tag_columns=importing.parse_tag_columns(options["tags_from"]),
                source=options["source"],
            )
            summary = self._import(path, spec, strict=options["strict"], batch_size=options["batch_size"])
        except ImportFileError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        except services.ImportRefused as exc:
            for row in exc.extra.get("skipped", [])[:50]:
                self.stderr.write(f"  line {row['line_number']}: {row['reason']}")
            raise CommandError(exc.message, returncode=3) from exc

        pending = selectors.embedding_progress().pending
        for row in summary.skipped:
            self.stderr.write(f"  skipped line {row.line_number}: {row.reason}")
        if summary.rows_skipped > len(summary.skipped):
            self.stderr.write(f"  … and {summary.rows_skipped - len(summary.skipped)} more skipped rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"Read {summary.rows_read} rows: {summary.tracks_created} tracks created, "
                f"{summary.tracks_updated} updated, {summary.rows_merged} rows merged into another row's "
                f"track, {summary.rows_skipped} skipped; {pending} tracks wait for embedding."
            )
        )
        if pending and not options["no_embed"]:
            embedding_services.embedding_queue()
            self.stdout.write("Embedding queued for the worker (or run: manage.py embed_catalog).")

    def _import(
        self, path: Path, spec: ImportSpec, *, strict: bool, batch_size: int
    ) -> services.ImportSummary:
        size = path.stat().st_size if path.is_file() else 0
        with tqdm(
            total=size, unit="B", unit_scale=True, desc=f"Importing {path.name}", file=self.stderr
        ) as bar:

            def on_progress(progress: services.ImportProgress) -> None:
                bar.update(progress.bytes_read - bar.n)
                bar.set_postfix(rows=progress.summary.rows_read, skipped=progress.summary.rows_skipped)

            return services.catalog_import_path(
                path=path, spec=spec, strict=strict, batch_size=batch_size, on_progress=on_progress
            )
