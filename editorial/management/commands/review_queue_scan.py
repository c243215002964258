"""Run the review queue's scan (low-confidence parses, rising prompts) and record its size now,
as beat does on its schedule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from editorial import review_services


class Command(BaseCommand):
    help = "Flag low-confidence and rising-prompt playlists for review, and snapshot the queue size."

    def handle(self, *args: Any, **options: Any) -> None:
        opened = review_services.review_scan()
        snapshots = review_services.queue_snapshot()
        sizes = ", ".join(f"{snapshot.reason} {snapshot.open_count}" for snapshot in snapshots)
        self.stdout.write(f"{opened} review item(s) opened; open now: {sizes}")
