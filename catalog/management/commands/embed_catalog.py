from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from catalog import embedding_services, selectors


class Command(BaseCommand):
    help = (
        "Embed every track that has no embedding yet. Resumable and idempotent: stop it any time "
        "and run it again; tracks already embedded are skipped. Safe beside a running worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1024, help="Tracks per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = selectors.embedding_progress()
        if not progress.pending:
            self.stdout.write(self.style.SUCCESS(f"All {progress.total} tracks are embedded."))
            return
        from catalog.embeddings import get_encoder

        get_encoder()  # load the model once, before the bar starts
        with tqdm(
            total=progress.total, initial=progress.embedded, unit="track", desc="Embedding", file=self.stderr
        ) as bar:
            embedded_now = embedding_services.catalog_embed_all(
                batch_size=options["batch_size"], on_progress=bar.update
            )
        self.stdout.write(self.style.SUCCESS(f"Embedded {embedded_now} tracks."))
