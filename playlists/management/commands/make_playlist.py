"""Compose a playlist from a prompt and print it (operators and debugging)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Track
from playlists.composer import ListenerContext, playlist_compose
from playlists.intent import PromptError


class Command(BaseCommand):
    help = "Compose a playlist from a prompt and print its tracks, score components and reasons."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prompt", required=True)
        parser.add_argument("--user", help="Email of the listener to personalize for.")
        parser.add_argument("--size", type=int)
        parser.add_argument("--new-only", action="store_true", help="Only tracks the listener has not heard.")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: Any, **options: Any) -> None:
        listener = ListenerContext()
        if options["user"]:
            if not get_user_model().objects.filter(email=options["user"]).exists():
                raise CommandError(f"No user with email {options['user']}")
            # Listening history arrives with the feedback app; until then a user has none.
        try:
            composition = playlist_compose(prompt=options["prompt"], size=options["size"], listener=listener)
        except PromptError as error:
            raise CommandError(str(error)) from error
        if options["new_only"]:
            composition.intent.familiarity = "new_only"
        tracks = Track.objects.in_bulk([item.track_id for item in composition.items])
        items = []
        for item in composition.items:
            track = tracks[item.track_id]
            items.append(
                {
                    "position": item.position,
                    "source": track.source,
                    "source_id": track.source_id,
                    "title": track.title,
                    "artists": [artist.name for artist in track.artists.all()],
                    "score": item.score,
                    "components": item.components,
                    "reasons": item.reasons,
                }
            )
        if options["as_json"]:
            payload = {**composition.to_dict(), "items": items}
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"intent: {json.dumps(composition.intent.to_dict(), ensure_ascii=False)}")
        for relaxed in composition.relaxed:
            self.stdout.write(f"relaxed: {relaxed}")
        for item in items:
            self.stdout.write(
                f"{item['position'] + 1:3d}. {item['title']} — {', '.join(item['artists'])} "
                f"[{item['source']}:{item['source_id']}] score {item['score']:.3f} · {'; '.join(item['reasons'])}"
            )
        stages = ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in composition.stage_seconds.items())
        self.stdout.write(f"stages: {stages}")
