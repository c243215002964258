"""Benchmark the catalog on real data: import + embed throughput, vector search latency and recall.

Everything runs in a scratch database created and migrated the way Django's test runner
does it, so the real schema, constraints and HNSW index are measured and the dev catalog
is never touched. The benchmark itself lives in ``catalog.bench`` (offline code, apart from the
request path); this command reads the options and owns the scratch database. See BENCHMARKS.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

from catalog.bench import figures
from catalog.bench.catalog_run import DEFAULT_SPOTIFY, CatalogBench, plain
from catalog.bench.console import Console


class Command(BaseCommand):
    help = (
        "Benchmark import + embedding throughput and vector search (latency, recall@10 against exact "
        "search) on the Spotify set, in a scratch database. The default run (28k and 1m) takes 40-60 minutes "
        "on 2 cores, most of it embedding and the 1M HNSW build."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--spotify", type=Path, default=DEFAULT_SPOTIFY, help="spotify_songs.csv(.gz).")
        parser.add_argument(
            "--sizes",
            default="28k,1m",
            help="Catalog sizes to search, e.g. 28k,200k,1m. Sizes up to the imported row count search the "
            "imported rows as they are; larger ones add jittered copies of them.",
        )
        parser.add_argument("--queries", type=int, default=200, help="Queries per variant and size.")
        parser.add_argument(
            "--jitter-shape",
            choices=("spread", "isotropic"),
            default="spread",
            help="How copied rows (and track-like queries) are jittered. 'spread' (default): noise "
            "drawn from the real rows' own covariance, scaled to --copy-cosine, so a copy is a new "
            "track in its source's style; 'isotropic': N(0, --jitter^2) in every dimension.",
        )
        parser.add_argument(
            "--copy-cosine",
            type=float,
            default=0.90,
            help="With --jitter-shape spread: a copy's expected cosine to its source. 0.90 makes a set "
            "of copies whose nearest-neighbour cosines match the real set's (~0.80, see BENCHMARKS.md).",
        )
        parser.add_argument(
            "--jitter",
            type=float,
            default=0.01,
            help="With --jitter-shape isotropic: noise per dimension. 0.01 puts a copy at cosine ~0.98 "
            "from its source (a near-duplicate: 1M rows become ~35 near-identical copies of each real "
            "track); 0.035 at ~0.8, noise in all 384 dimensions (see BENCHMARKS.md).",
        )
        parser.add_argument(
            "--scratch-db", default="segue_bench", help="Scratch database (dropped and recreated)."
        )
        parser.add_argument(
            "--budget",
            type=float,
            default=90.0,
            help="Seconds of querying per variant and size (and per exact baseline) before it stops "
            "early; the count of queries measured is reported.",
        )
        parser.add_argument("--keep-db", action="store_true", help="Leave the scratch database in place.")
        parser.add_argument("--output", type=Path, help="Also write the figures to this JSON file.")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="Print EXPLAIN ANALYZE of one query per variant (index path).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        spotify: Path = options["spotify"]
        if not spotify.is_file():
            raise CommandError(
                f"No Spotify file at {spotify}. Pass --spotify PATH to spotify_songs.csv.gz "
                "(../shared/data/spotify-songs-tidytuesday-2020/)."
            )
        try:
            sizes = figures.parse_sizes(options["sizes"])
        except ValueError as exc:
            raise CommandError(f"--sizes: {exc}") from exc
        if options["queries"] < 1:
            raise CommandError("--queries must be at least 1.")
        if not 0.0 < options["copy_cosine"] < 1.0:
            raise CommandError("--copy-cosine must be between 0 and 1.")
        bench = CatalogBench(options, Console(stdout=self.stdout, stderr=self.stderr, style=self.style))

        original_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict["TEST"]
        original_test_name = test_settings.get("NAME")
        test_settings["NAME"] = options["scratch_db"]
        self.stderr.write(f"Creating and migrating the scratch database {options['scratch_db']!r}...")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            # DEBUG would log every query, formatting each 384-float vector into SQL inside the timings.
            with override_settings(DEBUG=False):
                report = bench.run(spotify, sizes)
        finally:
            if options["keep_db"]:
                self.stderr.write(f"Kept the scratch database {options['scratch_db']!r}.")
            else:
                connection.creation.destroy_test_db(original_name, verbosity=0)
            test_settings["NAME"] = original_test_name
        if options["output"]:
            options["output"].write_text(json.dumps(plain(report), indent=2, allow_nan=False) + "\n")
            self.stdout.write(f"Figures written to {options['output']}.")
