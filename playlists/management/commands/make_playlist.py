"""Compose a playlist from a prompt and print it (operators and debugging)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from catalog.models import Track
from playlists.composer import Composition, ListenerContext, playlist_compose, vocabulary_load
from playlists.engine.intent import PromptError
from playlists.engine.parse import parse_prompt
from playlists.generation import personalization_context


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
            try:
                user = User.objects.get_by_natural_key(options["user"])
            except User.DoesNotExist:
                raise CommandError(f"No user with email {options['user']}") from None
            # What generation itself uses: taste seeds and learned taste, only with the
            # personalization consent (a listener without it is composed for like a new one).
            listener = personalization_context(user) or ListenerContext()
        try:
            intent = parse_prompt(options["prompt"], vocabulary=vocabulary_load())
            if options["new_only"]:
                intent.familiarity = "new_only"
            composition = playlist_compose(intent=intent, size=options["size"], listener=listener)
        except PromptError as error:
            raise CommandError(str(error)) from error
        items = _printable_items(composition)
        if options["as_json"]:
            self.stdout.write(
                json.dumps({**composition.to_dict(), "items": items}, indent=2, ensure_ascii=False)
            )
            return
        self.stdout.write(f"intent: {json.dumps(composition.intent.to_dict(), ensure_ascii=False)}")
        for relaxed in composition.relaxed:
            self.stdout.write(f"relaxed: {relaxed}")
        for item in items:
            self.stdout.write(
                f"{item['position'] + 1:3d}. {item['title']} — {', '.join(item['artists'])} "
                f"[{item['source']}:{item['source_id']}] score {item['score']:.3f} · "
                + "; ".join(item["reasons"])
            )
        stages = ", ".join(
            f"{name} {seconds * 1000:.1f} ms" for name, seconds in composition.stage_seconds.items()
        )
        self.stdout.write(f"stages: {stages}")


def _printable_items(composition: Composition) -> list[dict[str, Any]]:
    tracks = Track.objects.prefetch_related("artists").in_bulk([item.track_id for item in composition.items])
    return [
        {
            "position": item.position,
            "source": tracks[item.track_id].source,
            "source_id": tracks[item.track_id].source_id,
            "title": tracks[item.track_id].title,
            "artists": [artist.name for artist in tracks[item.track_id].artists.all()],
            "score": item.score,
            "components": item.components,
            "reasons": item.reasons,
        }
        for item in composition.items
    ]
