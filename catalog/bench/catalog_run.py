"""One run of the catalog benchmark: import + embed throughput, then search at each size.

Offline only (``manage.py bench_catalog`` is the thin command around it; nothing on the request
path imports this). See BENCHMARKS.md for what the figures mean.
"""

from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from tqdm import tqdm

from catalog import embedding_services, importing, services
from catalog.bench import figures, scratch
from catalog.bench.console import Console
from catalog.bench.scratch import Catalog
from catalog.bench.vector_search import K, SizeResult, search_print, variants_search
from catalog.embeddings import encode_documents, get_encoder
from catalog.importing import ImportFileError, ImportSpec
from catalog.models import Track
from catalog.search import track_vector_search
from catalog.vector_index import vector_index_drop

DEFAULT_SPOTIFY = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "data"
    / "spotify-songs-tidytuesday-2020"
    / "spotify_songs.csv.gz"
)
# The mapping of ../shared/bench/README.md; audio-feature columns and duration_ms match by name.
SPOTIFY_SOURCE = "spotify"
SPOTIFY_MAP = (
    "source_id=track_id,title=track_name,artist=track_artist,album=track_album_name,"
    "release_year=track_album_release_date,popularity=track_popularity"
)
SPOTIFY_TAGS = "playlist_genre:genre,playlist_subgenre:genre"
EMBED_BATCH_SIZE = 1024  # as `manage.py embed_catalog`
NEIGHBOUR_SAMPLE = 2000
SEED = 20200121

# Prompts a listener might type; their embeddings are the realistic part of the query set.
PROMPTS = (
    "relaxing evening jazz",
    "upbeat workout mix",
    "sad indie songs",
    "90s hip hop",
    "chill lo-fi beats to study to",
    "classic rock road trip",
    "romantic r&b slow jams",
    "latin dance party",
    "summer reggaeton hits",
    "high energy edm festival",
    "acoustic coffee shop morning",
    "angry heavy guitar music",
    "80s synth pop",
    "feel-good pop anthems",
    "melancholic piano ballads",
    "dark trap bangers",
    "old school funk and soul",
    "tropical house at sunset",
    "hard rock guitar riffs",
    "neo soul sunday morning",
    "gangster rap classics",
    "dance pop for a night out",
    "mellow songs for a rainy day",
    "happy songs to sing along to",
    "new jack swing throwback",
    "electro house for the gym",
    "progressive house for driving at night",
    "calm instrumental focus music",
    "70s classic rock",
    "southern hip hop",
    "songs for a breakup",
    "motivational gym rap",
    "slow dance at a wedding",
    "fast tempo running music",
    "live concert recordings",
    "latin pop love songs",
    "teen pop hits of the 2010s",
    "alternative new wave from the 80s",
    "big room drops",
    "quiet acoustic songs for sleeping",
    "energetic spanish songs",
    "smooth urban contemporary r&b",
)

OPTION_KEYS = (
    "spotify",
    "sizes",
    "queries",
    "jitter_shape",
    "copy_cosine",
    "jitter",
    "budget",
    "scratch_db",
    "keep_db",
)


class CatalogBench:
    """The state one run shares: its options, its seeded generator, the jitter spread once known."""

    def __init__(self, options: dict[str, Any], console: Console) -> None:
        self.options = options
        self.console = console
        self.rng = np.random.default_rng(SEED)
        self.spread: figures.Spread | None = None
        self.calibration: dict[str, Any] = {}

    # --- the run ---------------------------------------------------------------------------

    def run(self, spotify: Path, sizes: list[int]) -> dict[str, Any]:
        machine = self.machine()
        self.header(machine, spotify)

        # Load the model before any clock starts; the prompt embeddings double as its warm-up.
        get_encoder()
        prompt_vectors = encode_documents(list(PROMPTS))

        throughput = self.import_and_embed(spotify)
        catalog = scratch.catalog_read()
        scratch.vacuum_analyze()
        queries = self.queries(catalog, prompt_vectors)
        self.jitter_calibrate(catalog)

        results = []
        # Sizes up to the imported row count all mean the imported rows as they are.
        for size in sorted({max(size, catalog.real_count) for size in sizes}):
            result = SizeResult(rows=size)
            if size > catalog.size:
                result.load_seconds = self.grow(catalog, size)
            result.load_average = os.getloadavg()[0]
            self.warm_with(queries)
            self.console.stdout.write(
                f"\nSearch at {catalog.size:,} rows ({len(queries)} queries per variant)"
            )
            result.variants = variants_search(
                catalog,
                queries,
                console=self.console,
                budget=self.options["budget"],
                explain=self.options["explain"],
            )
            search_print(result, console=self.console)
            results.append(result)

        targets = self.targets(throughput, results)
        return {
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine,
            "command": {key: str(value) for key, value in self.options.items() if key in OPTION_KEYS},
            "import_embed": throughput,
            "jitter_calibration": self.calibration,
            "search": [asdict(result) for result in results],
            "targets": targets,
        }

    def machine(self) -> dict[str, Any]:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            pgvector = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            shared_buffers = cursor.fetchone()[0]
        import torch

        return {
            "cores": os.cpu_count(),
            "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "cpu": cpu_model(),
            "gpu": "none (CPU encoder)",
            "load_average_at_start": round(os.getloadavg()[0], 2),
            "postgresql": postgres,
            "pgvector": pgvector,
            "shared_buffers": shared_buffers,
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "ef_search": settings.VECTOR_SEARCH_EF_SEARCH,
            "exact_scan_max_rows": settings.VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS,
            "exact_scan_max_share": settings.VECTOR_SEARCH_EXACT_SCAN_MAX_SHARE,
        }

    def header(self, machine: dict[str, Any], spotify: Path) -> None:
        self.console.stdout.write(self.console.style.MIGRATE_HEADING("Segue catalog benchmark"))
        self.console.stdout.write(
            f"  machine: {machine['cores']} cores ({machine['cpu']}), {machine['ram_gb']} GB RAM, "
            f"{machine['gpu']}, load average {machine['load_average_at_start']} at start "
            "(the machine is shared: figures are noisy)"
        )
        self.console.stdout.write(
            f"  PostgreSQL {machine['postgresql']}, pgvector {machine['pgvector']}, shared_buffers "
            f"{machine['shared_buffers']}; torch threads {machine['torch_threads']}"
        )
        self.console.stdout.write(
            f"  search settings: hnsw.ef_search {machine['ef_search']}, exact scan up to "
            f"{machine['exact_scan_max_rows']:,} filtered rows and "
            f"{machine['exact_scan_max_share']:.0%} of the catalog; data {spotify}"
        )

    # --- import + embed --------------------------------------------------------------------

    def import_and_embed(self, spotify: Path) -> dict[str, Any]:
        spec = ImportSpec(
            file_format=importing.detect_format(spotify),
            column_map=importing.parse_column_map(SPOTIFY_MAP),
            tag_columns=importing.parse_tag_columns(SPOTIFY_TAGS),
            source=SPOTIFY_SOURCE,
        )
        with tqdm(
            total=spotify.stat().st_size,
            unit="B",
            unit_scale=True,
            desc="Importing",
            file=self.console.stderr,
        ) as bar:

            def on_progress(progress: services.ImportProgress) -> None:
                bar.update(progress.bytes_read - bar.n)

            started = time.perf_counter()
            try:
                summary = services.catalog_import_path(path=spotify, spec=spec, on_progress=on_progress)
            except ImportFileError as exc:
                raise CommandError(f"Cannot import {spotify}: {exc}") from exc
            import_seconds = time.perf_counter() - started
        tracks = summary.tracks_created
        if not tracks:
            raise CommandError(f"No tracks imported from {spotify} ({summary.rows_skipped} rows skipped).")

        encode_seconds = encode_cpu_seconds = 0.0

        def timed_encode(documents: list[str]) -> np.ndarray:
            nonlocal encode_seconds, encode_cpu_seconds
            encode_started, cpu_started = time.perf_counter(), time.process_time()
            vectors = encode_documents(documents)
            encode_seconds += time.perf_counter() - encode_started
            encode_cpu_seconds += time.process_time() - cpu_started
            return vectors

        with tqdm(total=tracks, unit="track", desc="Embedding", file=self.console.stderr) as bar:
            started = time.perf_counter()
            embedded = embedding_services.catalog_embed_all(
                batch_size=EMBED_BATCH_SIZE, encode=timed_encode, on_progress=bar.update
            )
            embed_seconds = time.perf_counter() - started

        documents = list(Track.objects.order_by("pk").values_list("document", flat=True))
        self.console.stderr.write(
            f"Raw encoder: encode_documents over the same {len(documents):,} documents..."
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        encode_documents(documents)
        raw_seconds = time.perf_counter() - started
        raw_cpu_seconds = time.process_time() - cpu_started

        total_seconds = import_seconds + embed_seconds
        end_to_end_rate = embedded / total_seconds
        raw_rate = len(documents) / raw_seconds
        measured = {
            "rows_read": summary.rows_read,
            "rows_skipped": summary.rows_skipped,
            "tracks": tracks,
            "embedded": embedded,
            "import_seconds": import_seconds,
            "embed_seconds": embed_seconds,
            "embed_encode_seconds": encode_seconds,
            "embed_encode_cpu_seconds": encode_cpu_seconds,
            "embed_database_seconds": embed_seconds - encode_seconds,
            "total_seconds": total_seconds,
            "end_to_end_tracks_per_second": end_to_end_rate,
            "raw_encoder_seconds": raw_seconds,
            "raw_encoder_cpu_seconds": raw_cpu_seconds,
            "raw_encoder_tracks_per_second": raw_rate,
            "ratio": end_to_end_rate / raw_rate,
            # Share of the end-to-end time spent encoding: the ratio if the encoder ran as fast in the
            # loop as alone, so less sensitive to other processes slowing one of the two timings.
            "encoding_share_of_end_to_end": encode_seconds / total_seconds,
        }
        self.console.stdout.write(f"\nImport + embed ({summary.rows_read:,} rows -> {tracks:,} tracks)")
        rows = [
            ("import (parse, upsert, tags, documents)", import_seconds, tracks / import_seconds),
            ("embed (catalog_embed_all, batches of 1024)", embed_seconds, embedded / embed_seconds),
            ("  of which encoding", encode_seconds, embedded / encode_seconds),
            ("  of which not hidden behind encoding (database)", embed_seconds - encode_seconds, math.nan),
            ("end to end (import + embed)", total_seconds, end_to_end_rate),
            ("raw encoder (encode_documents, one call, no DB)", raw_seconds, raw_rate),
        ]
        self.console.stdout.write(f"  {'step':<52} {'seconds':>9} {'tracks/s':>9}")
        for label, seconds, rate in rows:
            self.console.stdout.write(f"  {label:<52} {seconds:>9.1f} {number(rate, 1):>9}")
        self.console.stdout.write(
            f"  end to end / raw encoder: {measured['ratio']:.2f} "
            f"(target >= {figures.TARGET_THROUGHPUT_RATIO}); "
            f"share of end to end spent encoding: {measured['encoding_share_of_end_to_end']:.2f}"
        )
        self.console.stdout.write(
            f"  encoder CPU seconds per 1,000 documents: {1000 * encode_cpu_seconds / embedded:.1f} in the "
            f"loop, {1000 * raw_cpu_seconds / len(documents):.1f} alone (wall-clock gaps beyond this are "
            "contention)"
        )
        return measured

    def queries(self, catalog: Catalog, prompt_vectors: np.ndarray) -> np.ndarray:
        """The prompts' embeddings, then jittered real track vectors up to --queries."""
        count = self.options["queries"]
        prompts = prompt_vectors[:count]
        rows = self.rng.integers(0, catalog.real_count, count - len(prompts))
        return np.concatenate([prompts, self.jittered(catalog, rows)]).astype(np.float32)

    def jittered(self, catalog: Catalog, rows: np.ndarray) -> np.ndarray:
        """Copies of the real rows at ``rows``, jittered as --jitter-shape says."""
        vectors = catalog.vectors[rows]
        if self.options["jitter_shape"] == "isotropic":
            return figures.jitter(vectors, sigma=self.options["jitter"], rng=self.rng)
        if self.spread is None:
            self.spread = figures.spread_of(catalog.vectors[: catalog.real_count])
        return figures.jitter_along(
            vectors, spread=self.spread, cosine=self.options["copy_cosine"], rng=self.rng
        )

    def jitter_text(self) -> str:
        if self.options["jitter_shape"] == "isotropic":
            return f"isotropic jitter, sigma {self.options['jitter']}"
        return f"jitter along the real rows' spread, copy cosine {self.options['copy_cosine']}"

    def jitter_calibrate(self, catalog: Catalog) -> None:
        """How far a copy sits from its source, and how close copies sit to one another, against the
        real rows: a set of copies as large as the real set should have its nearest-neighbour cosines."""
        count = min(NEIGHBOUR_SAMPLE, catalog.real_count)
        sample = self.rng.choice(catalog.real_count, count, replace=False)
        real = catalog.vectors[: catalog.real_count]
        real_nearest = figures.nearest_neighbour_cosines(real, sample)
        copies = self.jittered(catalog, self.rng.integers(0, catalog.real_count, catalog.real_count))
        copy_nearest = figures.nearest_neighbour_cosines(copies, sample)
        to_source = np.einsum("ij,ij->i", self.jittered(catalog, sample), real[sample])
        self.calibration = {
            "jitter": self.jitter_text(),
            "real_nearest_neighbour_cosine_median": float(np.median(real_nearest)),
            "copies_nearest_neighbour_cosine_median": float(np.median(copy_nearest)),
            "jittered_copy_to_source_cosine_mean": float(to_source.mean()),
        }
        self.console.stdout.write(
            f"\n{self.jitter_text().capitalize()}: a copy's cosine to its source is "
            f"{to_source.mean():.3f} on average. Nearest-neighbour cosine (median) among "
            f"{catalog.real_count:,} real rows "
            f"{np.median(real_nearest):.3f}, among as many copies {np.median(copy_nearest):.3f}"
        )

    # --- growing the catalog with jittered copies -------------------------------------------

    def grow(self, catalog: Catalog, size: int) -> dict[str, float]:
        """Add jittered copies of real rows up to ``size`` rows: drop HNSW, COPY, rebuild, vacuum."""
        new_count = size - catalog.size
        self.console.stdout.write(f"\nGrowing the catalog to {size:,} rows ({new_count:,} jittered copies)")
        sources = self.rng.integers(0, catalog.real_count, new_count)
        first_id = int(catalog.ids.max()) + 1
        new_ids = np.arange(first_id, first_id + new_count, dtype=np.int64)
        new_vectors = self.jittered(catalog, sources)
        seconds: dict[str, float] = {}

        started = time.perf_counter()
        vector_index_drop()
        seconds["drop_index"] = time.perf_counter() - started

        started = time.perf_counter()
        scratch.copy_tracks(catalog, new_ids, new_vectors, sources, progress=self.console.stderr)
        seconds["copy_tracks"] = time.perf_counter() - started
        started = time.perf_counter()
        tag_links = scratch.copy_tags(catalog, new_ids, sources)
        seconds["copy_tags"] = time.perf_counter() - started
        scratch.track_sequence_reset()

        started = time.perf_counter()
        scratch.index_build(rows=size, progress=self.console.stderr)
        seconds["build_hnsw"] = time.perf_counter() - started
        started = time.perf_counter()
        scratch.vacuum_analyze()
        seconds["vacuum_analyze"] = time.perf_counter() - started

        catalog.ids = np.concatenate([catalog.ids, new_ids])
        catalog.vectors = np.concatenate([catalog.vectors, new_vectors])
        catalog.source_row = np.concatenate([catalog.source_row, sources])
        self.console.stdout.write(
            f"  COPY {new_count:,} tracks {seconds['copy_tracks']:.1f} s, {tag_links:,} tag links "
            f"{seconds['copy_tags']:.1f} s; HNSW build {seconds['build_hnsw']:.1f} s; "
            f"VACUUM ANALYZE {seconds['vacuum_analyze']:.1f} s"
        )
        return seconds

    def warm_with(self, queries: np.ndarray) -> None:
        """One untimed pass of the queries, so the timings are a serving server's steady state and
        not the first reads of a freshly built 2 GB index (the embedded PostgreSQL has no pg_prewarm)."""
        self.console.stderr.write("Warming the cache with one untimed pass of the queries...")
        for query in queries:
            track_vector_search(query_vector=query, k=K)

    # --- targets ---------------------------------------------------------------------------

    def targets(self, throughput: dict[str, Any], results: list[SizeResult]) -> list[dict[str, Any]]:
        searches = [
            figures.SizeFigures(
                rows=result.rows,
                variants={
                    label: figures.VariantFigures(
                        p95_ms=variant.latency_ms.p95,
                        recall_at_10=variant.recall_at_10,
                        short_answers=variant.short_answers,
                    )
                    for label, variant in result.variants.items()
                },
            )
            for result in results
        ]
        targets = [asdict(target) for target in figures.catalog_targets(throughput["ratio"], searches)]
        self.console.stdout.write(self.console.style.MIGRATE_HEADING("\nTargets"))
        for target in targets:
            verdict = {
                True: self.console.style.SUCCESS("PASS"),
                False: self.console.style.ERROR("FAIL"),
                None: "----",
            }[target["passed"]]
            self.console.stdout.write(f"  {verdict}  {target['name']}: {target['shown']}")
        return targets


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def number(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:,.{digits}f}"


def plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN (nothing to measure) to null."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
