"""Prompt -> playlist benchmark: precision@k per line and on average, constraint violations, latency."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Track
from playlists.composer import Composition, playlist_compose
from playlists.evaluation import percentile, precision_at_k, read_jsonl


def constraint_violations(composition: Composition) -> int:
    """Generated tracks that break an exclusion or a hard range of the composition's own intent."""
    intent = composition.intent
    track_ids = [item.track_id for item in composition.items]
    tracks = Track.objects.filter(pk__in=track_ids).prefetch_related("tags", "artists")
    excluded_tags = set(intent.exclude_tags)
    excluded_artists = {name.lower() for name in intent.exclude_artists}
    hard = intent.hard_ranges()
    violations = 0
    for track in tracks:
        broken = bool(excluded_tags & {tag.name for tag in track.tags.all()})
        broken |= bool(excluded_artists & {artist.name.lower() for artist in track.artists.all()})
        for feature, (low, high) in hard.items():
            value = getattr(track, feature, None)
            broken |= value is None or not low <= value <= high
        if intent.era and not intent.era[0] <= (track.release_year or 0) <= intent.era[1]:
            broken = True
        broken |= intent.clean and track.explicit
        violations += int(broken)
    return violations


class Command(BaseCommand):
    help = "Evaluate prompt -> playlist generation on a JSONL(.gz) benchmark (see shared bench README)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--limit", type=int)
        parser.add_argument("--source", default="spotify", help="Catalog source the relevant ids refer to.")
        parser.add_argument("--verbose", action="store_true", help="Also print the parsed intent per line.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        precisions, latencies, total_violations = [], [], 0
        for number, line in enumerate(read_jsonl(path)):
            if options["limit"] is not None and number >= options["limit"]:
                break
            started = time.perf_counter()
            composition = playlist_compose(prompt=line["prompt"], size=line["k"])
            latencies.append(time.perf_counter() - started)
            track_ids = [item.track_id for item in composition.items]
            ids = dict(
                Track.objects.filter(pk__in=track_ids, source=options["source"]).values_list(
                    "pk", "source_id"
                )
            )
            generated = [ids.get(track_id, "") for track_id in track_ids]
            precision = precision_at_k(generated, set(line["relevant"]), line["k"])
            violations = constraint_violations(composition)
            precisions.append(precision)
            total_violations += violations
            note = f" relaxed: {composition.relaxed}" if composition.relaxed else ""
            self.stdout.write(
                f"{line['id']}  p@{line['k']} {precision:.3f}  (base {line.get('base_rate', 0):.3f})  "
                f"violations {violations}  {latencies[-1] * 1000:.0f} ms  {line['prompt']!r}{note}"
            )
            if options["verbose"]:
                self.stdout.write(f"      intent: {composition.intent.to_dict()}")
        if not precisions:
            raise CommandError("No lines evaluated.")
        p50_ms, p95_ms = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
        self.stdout.write(
            f"mean precision@k {sum(precisions) / len(precisions):.3f} over {len(precisions)} prompts; "
            f"constraint violations {total_violations}; latency p50 {p50_ms:.0f} ms, p95 {p95_ms:.0f} ms"
        )
