"""Retrain collaborative filtering now (beat does it nightly): ALS on every affinity."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from feedback import services


class Command(BaseCommand):
    help = "Retrain ALS on all listeners' affinities and store user and item factors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", action="store_true", help="Queue it for a worker instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            from feedback.tasks import train_cf

            train_cf.delay_on_commit()  # type: ignore[attr-defined]
            self.stdout.write("Retraining queued.")
            return
        run = services.cf_train()
        if run is None:
            self.stdout.write(
                "Too little feedback to train on (fewer than 2 listeners with positive affinities)."
            )
            return
        self.stdout.write(
            f"CF model {run.pk}: {run.users} listeners, {run.items} tracks, {run.interactions} affinities, "
            f"{run.seconds:.1f} s"
        )
