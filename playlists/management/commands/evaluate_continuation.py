"""Prompt + listening history -> new tracks: R-precision and NDCG@k per line and on average."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Track
from feedback.history_formats import HistoryFormatError, Play, RowProblem, history_read
from feedback.matching import plays_match
from playlists.composer import Weights, listener_context_build, playlist_compose, vocabulary_load
from playlists.engine.intent import Intent, PromptError
from playlists.engine.parse import parse_prompt
from playlists.engine.taste import play_weight
from playlists.evaluation import ndcg_at_k, percentile, precision_at_k, read_jsonl


class Command(BaseCommand):
    help = "Evaluate history-aware generation on a continuation benchmark folder (bench.jsonl + histories)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder")
        parser.add_argument("--limit", type=int)
        parser.add_argument(
            "--weights", default="{}", help='JSON overrides of the scoring weights, e.g. {"taste": 2}.'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not (folder / "bench.jsonl").exists():
            raise CommandError(f"No bench.jsonl in {folder}")
        r_precisions, ndcgs, latencies = [], [], []
        vocabulary = vocabulary_load()
        scoring_weights = Weights.from_dict({**Weights().to_dict(), **json.loads(options["weights"])})
        for number, line in enumerate(read_jsonl(folder / "bench.jsonl")):
            if options["limit"] is not None and number >= options["limit"]:
                break
            plays, problems = _history_plays(folder / line["history"])
            match = plays_match(plays=plays)
            weights: dict[int, float] = defaultdict(float)
            for play, track_id in zip(plays, match.track_ids, strict=True):
                if track_id is not None:
                    weights[track_id] += play_weight(ms_played=play.ms_played, skipped=play.skipped)
            started = time.perf_counter()
            listener = listener_context_build(track_weights=weights)
            try:
                intent = parse_prompt(line["prompt"], vocabulary=vocabulary)
            except PromptError:
                # A title of names only ("Chixtape Tory Lanez"): searched by its meaning alone,
                # the listener's history doing the rest.
                intent = Intent(semantic_text=line["prompt"])
            if line.get("new_only", True):
                intent.familiarity = "new_only"
            composition = playlist_compose(
                intent=intent, size=line["k"], listener=listener, weights=scoring_weights
            )
            latencies.append(time.perf_counter() - started)
            ids = dict(
                Track.objects.filter(pk__in=[item.track_id for item in composition.items]).values_list(
                    "pk", "source_id"
                )
            )
            generated = [ids[item.track_id] for item in composition.items]
            relevant = set(line["relevant"])
            r_precision = precision_at_k(generated, relevant, len(relevant))
            ndcg = ndcg_at_k(generated, relevant, line["k"])
            r_precisions.append(r_precision)
            ndcgs.append(ndcg)
            self.stdout.write(
                f"{line['id']}  R-prec {r_precision:.3f}  NDCG@{line['k']} {ndcg:.3f}  "
                f"matched {len(match.matched_ids)}/{len(plays)} plays{_skipped_note(problems)}  "
                f"{latencies[-1] * 1000:.0f} ms  "
                f"{json.dumps(line['prompt'], ensure_ascii=False)}"
            )
        if not r_precisions:
            raise CommandError("No lines evaluated.")
        p50_ms, p95_ms = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
        mean_r, mean_ndcg = sum(r_precisions) / len(r_precisions), sum(ndcgs) / len(ndcgs)
        self.stdout.write(
            f"mean R-precision {mean_r:.3f}  mean NDCG {mean_ndcg:.3f} "
            f"over {len(r_precisions)} lines; latency p50 {p50_ms:.0f} ms, p95 {p95_ms:.0f} ms"
        )


def _history_plays(path: Path) -> tuple[list[Play], list[RowProblem]]:
    """The plays of a Spotify streaming history (JSON or ZIP), and the rows that could not be read."""
    plays: list[Play] = []
    problems: list[RowProblem] = []
    try:
        with path.open("rb") as handle:
            for parsed in history_read(handle, history_format="spotify", name=path.name):
                if isinstance(parsed, RowProblem):
                    problems.append(parsed)
                else:
                    plays.append(parsed)
    except (OSError, HistoryFormatError) as error:
        raise CommandError(str(error)) from error
    return plays, problems


def _skipped_note(problems: list[RowProblem]) -> str:
    if not problems:
        return ""
    return f" ({len(problems)} rows skipped, first: {problems[0].where}: {problems[0].reason})"
