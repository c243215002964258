"""Service time of playlist generation, per stage, against the floor (one encoding + one vector query)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandParser

from catalog.bench.sample_prompts import BENCH_PROMPTS
from catalog.embeddings import encode_prompts
from catalog.models import Track
from catalog.search import track_vector_search
from playlists.composer import STAGES, playlist_compose, vocabulary_load
from playlists.evaluation import percentile


class Command(BaseCommand):
    help = "Per-stage timing of 30-track playlists over varied prompts; p50/p95 and the ratio to the floor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=3, help="Passes over the prompt set.")
        parser.add_argument("--size", type=int, default=30)
        parser.add_argument(
            "--warm-phrases",
            action="store_true",
            help="Keep the phrase-embedding cache between runs (default: cleared, as for new prompts).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vocabulary = vocabulary_load()
        playlist_compose(prompt="warm up the model and caches", size=options["size"])
        totals: list[float] = []
        floors: list[float] = []
        per_stage: dict[str, list[float]] = {name: [] for name in STAGES}
        for _ in range(options["runs"]):
            for prompt in BENCH_PROMPTS:
                if not options["warm_phrases"]:
                    vocabulary.clear_cache()
                started = time.perf_counter()
                composition = playlist_compose(prompt=prompt, size=options["size"])
                totals.append(time.perf_counter() - started)
                for name in STAGES:
                    per_stage[name].append(composition.stage_seconds.get(name, 0.0))
                floors.append(_floor(prompt, options["size"]))
        tracks = Track.objects.filter(embedding__isnull=False).count()
        self.stdout.write(f"catalog: {tracks} embedded tracks; {len(totals)} playlists of {options['size']}")
        for name in STAGES:
            p50_ms, p95_ms = percentile(per_stage[name], 0.5) * 1000, percentile(per_stage[name], 0.95) * 1000
            self.stdout.write(f"  {name:<10} p50 {p50_ms:6.1f} ms   p95 {p95_ms:6.1f} ms")
        p50, p95 = percentile(totals, 0.5), percentile(totals, 0.95)
        floor50, floor95 = percentile(floors, 0.5), percentile(floors, 0.95)
        self.stdout.write(f"service time  p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")
        self.stdout.write(f"floor         p50 {floor50 * 1000:6.1f} ms   p95 {floor95 * 1000:6.1f} ms")
        self.stdout.write(f"ratio to floor p50 {p50 / floor50:.2f}x   p95 {p95 / floor95:.2f}x")
        self.stdout.write(f"mean total {np.mean(totals) * 1000:.1f} ms")


def _floor(prompt: str, size: int) -> float:
    """One prompt encoding plus one unfiltered vector query: what any generation must pay.

    Encoded the way the composer encodes (one thread), so the ratio compares like with like.
    """
    started = time.perf_counter()
    vector = encode_prompts([prompt])[0]
    track_vector_search(query_vector=vector, k=size)
    return time.perf_counter() - started
