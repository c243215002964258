from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from catalog import selectors, services


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
        embedded_now = 0
        with tqdm(
            total=progress.total, initial=progress.embedded, unit="track", desc="Embedding", file=self.stderr
        ) as bar:
            while True:
                count = services.track_embed_pending(limit=options["batch_size"])
                if not count:
                    break
                embedded_now += count
                bar.update(count)
        self.stdout.write(self.style.SUCCESS(f"Embedded {embedded_now} tracks."))
