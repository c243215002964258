"""Benchmark the catalog on real data: import + embed throughput, vector search latency and recall.

Everything runs in a scratch database created and migrated the way Django's test runner
does it, so the real schema, constraints and HNSW index are measured and the dev catalog
is never touched. See BENCHMARKS.md for what the figures mean.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import override_settings
from pgvector.django import CosineDistance
from tqdm import tqdm

from catalog import benchmarking, embedding_services, importing, search, services
from catalog.benchmarking import LatencySummary
from catalog.embeddings import encode_documents, get_encoder
from catalog.features import EMBEDDING_DIMENSIONS
from catalog.importing import ImportFileError, ImportSpec
from catalog.models import Track, TrackTag
from catalog.search import SearchFilters, apply_filters, track_vector_search
from catalog.vector_index import vector_index_build, vector_index_drop

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
JITTER_SOURCE = "bench-jitter"

EMBED_BATCH_SIZE = 1024  # as `manage.py embed_catalog`
K = 10
WARMUP_QUERIES = 5
# Above this many rows the SQL exact-scan baseline is timed on a sample only (about 1 s a query at 1M).
EXACT_SQL_FULL_MAX_ROWS = 100_000
EXACT_SQL_SAMPLE = 10
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

# The filtered variants: a common genre (~16%), a ~1% combination, a wide feature range (~34%).
VARIANTS: dict[str, SearchFilters] = {
    benchmarking.UNFILTERED: SearchFilters(),
    "tag rock": SearchFilters(tags_any=["rock"]),
    "r&b up to 1989": SearchFilters(tags_any=["r&b"], year_range=(None, 1989)),
    "energy >= 0.8": SearchFilters(feature_ranges={"energy": (0.8, None)}),
}

# Binary COPY framing (PostgreSQL docs, "COPY ... Binary Format").
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = COPY_SIGNATURE + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


@dataclass
class Catalog:
    """Every row of the scratch catalog as the benchmark knows it, in insertion order.

    ``source_row[i]`` is the real row that row i is (a jittered copy of); a real row is its own
    source. Filter masks of copies are their source's.
    """

    ids: np.ndarray
    vectors: np.ndarray
    source_row: np.ndarray
    real_count: int
    tag_names: list[frozenset[str]]
    tag_ids: list[list[int]]
    years: np.ndarray
    features: dict[str, np.ndarray]
    copy_blobs: list[bytes]
    copy_columns: list[str]

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass
class VariantResult:
    rows_passing: int
    selectivity: float
    path: str
    latency_ms: LatencySummary
    recall_at_10: float
    short_answers: int
    exact_sql_ms: LatencySummary
    exact_sql_agreement: float


@dataclass
class SizeResult:
    rows: int
    load_seconds: dict[str, float] = field(default_factory=dict)
    variants: dict[str, VariantResult] = field(default_factory=dict)
    load_average: float = 0.0


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
            sizes = benchmarking.parse_sizes(options["sizes"])
        except ValueError as exc:
            raise CommandError(f"--sizes: {exc}") from exc
        if options["queries"] < 1:
            raise CommandError("--queries must be at least 1.")
        if not 0.0 < options["copy_cosine"] < 1.0:
            raise CommandError("--copy-cosine must be between 0 and 1.")
        self.options = options
        self.rng = np.random.default_rng(SEED)
        self.spread: benchmarking.Spread | None = None

        original_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict["TEST"]
        original_test_name = test_settings.get("NAME")
        test_settings["NAME"] = options["scratch_db"]
        self.stderr.write(f"Creating and migrating the scratch database {options['scratch_db']!r}...")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            # DEBUG would log every query, formatting each 384-float vector into SQL inside the timings.
            with override_settings(DEBUG=False):
                report = self._run(spotify, sizes)
        finally:
            if options["keep_db"]:
                self.stderr.write(f"Kept the scratch database {options['scratch_db']!r}.")
            else:
                connection.creation.destroy_test_db(original_name, verbosity=0)
            test_settings["NAME"] = original_test_name
        if options["output"]:
            options["output"].write_text(json.dumps(_plain(report), indent=2, allow_nan=False) + "\n")
            self.stdout.write(f"Figures written to {options['output']}.")

    # --- the run ---------------------------------------------------------------------------

    def _run(self, spotify: Path, sizes: list[int]) -> dict[str, Any]:
        machine = self._machine()
        self._header(machine, spotify)

        # Load the model before any clock starts; the prompt embeddings double as its warm-up.
        get_encoder()
        prompt_vectors = encode_documents(list(PROMPTS))

        throughput = self._import_and_embed(spotify)
        catalog = self._catalog_read()
        self._vacuum_analyze()
        queries = self._queries(catalog, prompt_vectors)
        self._calibration(catalog)

        results = []
        # Sizes up to the imported row count all mean the imported rows as they are.
        for size in sorted({max(size, catalog.real_count) for size in sizes}):
            result = SizeResult(rows=size)
            if size > catalog.size:
                result.load_seconds = self._grow(catalog, size)
            result.load_average = os.getloadavg()[0]
            self._warm_with(queries)
            self.stdout.write(f"\nSearch at {catalog.size:,} rows ({len(queries)} queries per variant)")
            result.variants = self._search(catalog, queries)
            self._print_search(result)
            results.append(result)

        targets = self._targets(throughput, results)
        return {
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine,
            "command": {key: str(value) for key, value in self.options.items() if key in _OPTION_KEYS},
            "import_embed": throughput,
            "jitter_calibration": self.calibration,
            "search": [asdict(result) for result in results],
            "targets": targets,
        }

    def _machine(self) -> dict[str, Any]:
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
            "cpu": _cpu_model(),
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

    def _header(self, machine: dict[str, Any], spotify: Path) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Segue catalog benchmark"))
        self.stdout.write(
            f"  machine: {machine['cores']} cores ({machine['cpu']}), {machine['ram_gb']} GB RAM, "
            f"{machine['gpu']}, load average {machine['load_average_at_start']} at start "
            "(the machine is shared: figures are noisy)"
        )
        self.stdout.write(
            f"  PostgreSQL {machine['postgresql']}, pgvector {machine['pgvector']}, shared_buffers "
            f"{machine['shared_buffers']}; torch threads {machine['torch_threads']}"
        )
        self.stdout.write(
            f"  search settings: hnsw.ef_search {machine['ef_search']}, exact scan up to "
            f"{machine['exact_scan_max_rows']:,} filtered rows and "
            f"{machine['exact_scan_max_share']:.0%} of the catalog; data {spotify}"
        )

    # --- import + embed --------------------------------------------------------------------

    def _import_and_embed(self, spotify: Path) -> dict[str, Any]:
        spec = ImportSpec(
            file_format=importing.detect_format(spotify),
            column_map=importing.parse_column_map(SPOTIFY_MAP),
            tag_columns=importing.parse_tag_columns(SPOTIFY_TAGS),
            source=SPOTIFY_SOURCE,
        )
        with tqdm(
            total=spotify.stat().st_size, unit="B", unit_scale=True, desc="Importing", file=self.stderr
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

        with tqdm(total=tracks, unit="track", desc="Embedding", file=self.stderr) as bar:
            started = time.perf_counter()
            embedded = embedding_services.catalog_embed_all(
                batch_size=EMBED_BATCH_SIZE, encode=timed_encode, on_progress=bar.update
            )
            embed_seconds = time.perf_counter() - started

        documents = list(Track.objects.order_by("pk").values_list("document", flat=True))
        self.stderr.write(f"Raw encoder: encode_documents over the same {len(documents):,} documents...")
        started, cpu_started = time.perf_counter(), time.process_time()
        encode_documents(documents)
        raw_seconds = time.perf_counter() - started
        raw_cpu_seconds = time.process_time() - cpu_started

        total_seconds = import_seconds + embed_seconds
        end_to_end_rate = embedded / total_seconds
        raw_rate = len(documents) / raw_seconds
        figures = {
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
        self.stdout.write(f"\nImport + embed ({summary.rows_read:,} rows -> {tracks:,} tracks)")
        rows = [
            ("import (parse, upsert, tags, documents)", import_seconds, tracks / import_seconds),
            ("embed (catalog_embed_all, batches of 1024)", embed_seconds, embedded / embed_seconds),
            ("  of which encoding", encode_seconds, embedded / encode_seconds),
            ("  of which not hidden behind encoding (database)", embed_seconds - encode_seconds, math.nan),
            ("end to end (import + embed)", total_seconds, end_to_end_rate),
            ("raw encoder (encode_documents, one call, no DB)", raw_seconds, raw_rate),
        ]
        self.stdout.write(f"  {'step':<52} {'seconds':>9} {'tracks/s':>9}")
        for label, seconds, rate in rows:
            self.stdout.write(f"  {label:<52} {seconds:>9.1f} {_number(rate, 1):>9}")
        self.stdout.write(
            f"  end to end / raw encoder: {figures['ratio']:.2f} "
            f"(target >= {benchmarking.TARGET_THROUGHPUT_RATIO}); "
            f"share of end to end spent encoding: {figures['encoding_share_of_end_to_end']:.2f}"
        )
        self.stdout.write(
            f"  encoder CPU seconds per 1,000 documents: {1000 * encode_cpu_seconds / embedded:.1f} in the "
            f"loop, {1000 * raw_cpu_seconds / len(documents):.1f} alone (wall-clock gaps beyond this are "
            "contention)"
        )
        return figures

    # --- the catalog as arrays -------------------------------------------------------------

    def _catalog_read(self) -> Catalog:
        """Read back the imported rows: ids, exact float32 vectors, filter attributes, copy blobs."""
        copy_columns = [
            column.column
            for column in Track._meta.concrete_fields
            if column.column not in ("id", "source", "source_id", "embedding")
        ]
        sql = (
            f"COPY (SELECT id, embedding, {', '.join(copy_columns)} FROM catalog_track "
            "WHERE embedding IS NOT NULL ORDER BY id) TO STDOUT (FORMAT BINARY)"
        )
        ids, vectors, blobs = [], [], []
        for fields, rest in _copy_out_binary(sql, leading_fields=2):
            ids.append(struct.unpack(">q", fields[0])[0])
            vectors.append(np.frombuffer(fields[1], dtype=">f4", offset=4))
            blobs.append(rest)
        ids_array = np.asarray(ids, dtype=np.int64)
        row_of = {track_id: row for row, track_id in enumerate(ids)}

        tag_names: list[set[str]] = [set() for _ in ids]
        tag_ids: list[list[int]] = [[] for _ in ids]
        for track_id, tag_id, name in TrackTag.objects.values_list("track_id", "tag_id", "tag__name"):
            if track_id in row_of:
                tag_names[row_of[track_id]].add(name)
                tag_ids[row_of[track_id]].append(tag_id)
        attributes = {
            pk: (year, energy)
            for pk, year, energy in Track.objects.values_list("pk", "release_year", "energy")
        }
        years = np.array([_float(attributes[pk][0]) for pk in ids], dtype=np.float64)
        energy = np.array([_float(attributes[pk][1]) for pk in ids], dtype=np.float64)
        return Catalog(
            ids=ids_array,
            vectors=np.asarray(vectors, dtype=np.float32).reshape(len(ids), EMBEDDING_DIMENSIONS),
            source_row=np.arange(len(ids)),
            real_count=len(ids),
            tag_names=[frozenset(names) for names in tag_names],
            tag_ids=tag_ids,
            years=years,
            features={"energy": energy},
            copy_blobs=blobs,
            copy_columns=copy_columns,
        )

    def _queries(self, catalog: Catalog, prompt_vectors: np.ndarray) -> np.ndarray:
        """The prompts' embeddings, then jittered real track vectors up to --queries."""
        count = self.options["queries"]
        prompts = prompt_vectors[:count]
        rows = self.rng.integers(0, catalog.real_count, count - len(prompts))
        return np.concatenate([prompts, self._jittered(catalog, rows)]).astype(np.float32)

    def _jittered(self, catalog: Catalog, rows: np.ndarray) -> np.ndarray:
        """Copies of the real rows at ``rows``, jittered as --jitter-shape says."""
        vectors = catalog.vectors[rows]
        if self.options["jitter_shape"] == "isotropic":
            return benchmarking.jitter(vectors, sigma=self.options["jitter"], rng=self.rng)
        if self.spread is None:
            self.spread = benchmarking.spread_of(catalog.vectors[: catalog.real_count])
        return benchmarking.jitter_along(
            vectors, spread=self.spread, cosine=self.options["copy_cosine"], rng=self.rng
        )

    def _jitter_text(self) -> str:
        if self.options["jitter_shape"] == "isotropic":
            return f"isotropic jitter, sigma {self.options['jitter']}"
        return f"jitter along the real rows' spread, copy cosine {self.options['copy_cosine']}"

    def _calibration(self, catalog: Catalog) -> None:
        """How far a copy sits from its source, and how close copies sit to one another, against the
        real rows: a set of copies as large as the real set should have its nearest-neighbour cosines."""
        count = min(NEIGHBOUR_SAMPLE, catalog.real_count)
        sample = self.rng.choice(catalog.real_count, count, replace=False)
        real = catalog.vectors[: catalog.real_count]
        real_nearest = benchmarking.nearest_neighbour_cosines(real, sample)
        copies = self._jittered(catalog, self.rng.integers(0, catalog.real_count, catalog.real_count))
        copy_nearest = benchmarking.nearest_neighbour_cosines(copies, sample)
        to_source = np.einsum("ij,ij->i", self._jittered(catalog, sample), real[sample])
        self.calibration = {
            "jitter": self._jitter_text(),
            "real_nearest_neighbour_cosine_median": float(np.median(real_nearest)),
            "copies_nearest_neighbour_cosine_median": float(np.median(copy_nearest)),
            "jittered_copy_to_source_cosine_mean": float(to_source.mean()),
        }
        self.stdout.write(
            f"\n{self._jitter_text().capitalize()}: a copy's cosine to its source is "
            f"{to_source.mean():.3f} on average. Nearest-neighbour cosine (median) among "
            f"{catalog.real_count:,} real rows "
            f"{np.median(real_nearest):.3f}, among as many copies {np.median(copy_nearest):.3f}"
        )

    # --- growing the catalog with jittered copies -------------------------------------------

    def _grow(self, catalog: Catalog, size: int) -> dict[str, float]:
        """Add jittered copies of real rows up to ``size`` rows: drop HNSW, COPY, rebuild, vacuum."""
        new_count = size - catalog.size
        self.stdout.write(f"\nGrowing the catalog to {size:,} rows ({new_count:,} jittered copies)")
        sources = self.rng.integers(0, catalog.real_count, new_count)
        first_id = int(catalog.ids.max()) + 1
        new_ids = np.arange(first_id, first_id + new_count, dtype=np.int64)
        new_vectors = self._jittered(catalog, sources)
        seconds: dict[str, float] = {}

        started = time.perf_counter()
        vector_index_drop()
        seconds["drop_index"] = time.perf_counter() - started

        started = time.perf_counter()
        self._copy_tracks(catalog, new_ids, new_vectors, sources)
        seconds["copy_tracks"] = time.perf_counter() - started
        started = time.perf_counter()
        tag_links = self._copy_tags(catalog, new_ids, sources)
        seconds["copy_tags"] = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('catalog_track', 'id'), "
                "(SELECT max(id) FROM catalog_track))"
            )

        started = time.perf_counter()
        self._build_index(rows=size)
        seconds["build_hnsw"] = time.perf_counter() - started
        started = time.perf_counter()
        self._vacuum_analyze()
        seconds["vacuum_analyze"] = time.perf_counter() - started

        catalog.ids = np.concatenate([catalog.ids, new_ids])
        catalog.vectors = np.concatenate([catalog.vectors, new_vectors])
        catalog.source_row = np.concatenate([catalog.source_row, sources])
        self.stdout.write(
            f"  COPY {new_count:,} tracks {seconds['copy_tracks']:.1f} s, {tag_links:,} tag links "
            f"{seconds['copy_tags']:.1f} s; HNSW build {seconds['build_hnsw']:.1f} s; "
            f"VACUUM ANALYZE {seconds['vacuum_analyze']:.1f} s"
        )
        return seconds

    def _copy_tracks(
        self, catalog: Catalog, ids: np.ndarray, vectors: np.ndarray, sources: np.ndarray
    ) -> None:
        """Binary COPY: each row is a copy of its source row's bytes with a new id, source id and vector.

        The copied columns were read with COPY ... TO (FORMAT BINARY), so PostgreSQL encoded
        them itself and they go back in byte for byte.
        """
        columns = ["id", "source", "source_id", *catalog.copy_columns, "embedding"]
        field_count = struct.pack(">h", len(columns))
        source_field = _binary_field(JITTER_SOURCE.encode())
        vector_header = struct.pack(">iHH", 4 + 4 * EMBEDDING_DIMENSIONS, EMBEDDING_DIMENSIONS, 0)
        id_header = struct.pack(">i", 8)
        blobs = catalog.copy_blobs
        chunk = 20_000
        connection.ensure_connection()
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY catalog_track ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
            tqdm(total=len(ids), unit="row", desc="COPY tracks", file=self.stderr) as bar,
        ):
            copy.write(COPY_HEADER)
            for start in range(0, len(ids), chunk):
                stop = min(start + chunk, len(ids))
                big_endian = vectors[start:stop].astype(">f4")
                parts: list[bytes] = []
                for offset, (track_id, source) in enumerate(
                    zip(ids[start:stop].tolist(), sources[start:stop].tolist(), strict=True)
                ):
                    parts += (
                        field_count,
                        id_header,
                        struct.pack(">q", track_id),
                        source_field,
                        _binary_field(str(track_id).encode()),
                        blobs[source],
                        vector_header,
                        big_endian[offset].tobytes(),
                    )
                copy.write(b"".join(parts))
                bar.update(stop - start)
            copy.write(COPY_TRAILER)

    def _copy_tags(self, catalog: Catalog, ids: np.ndarray, sources: np.ndarray) -> int:
        links = 0
        chunk = 50_000
        with (
            connection.connection.cursor() as cursor,
            cursor.copy("COPY catalog_tracktag (track_id, tag_id) FROM STDIN") as copy,
        ):
            for start in range(0, len(ids), chunk):
                lines = [
                    f"{track_id}\t{tag_id}\n"
                    for track_id, source in zip(
                        ids[start : start + chunk].tolist(),
                        sources[start : start + chunk].tolist(),
                        strict=True,
                    )
                    for tag_id in catalog.tag_ids[source]
                ]
                links += len(lines)
                copy.write("".join(lines))
        return links

    def _build_index(self, *, rows: int) -> None:
        """Rebuild the model's HNSW index with the graph in memory (4 GB) and one parallel worker."""
        with _index_build_progress(rows, self.stderr):
            vector_index_build(memory="4GB")

    def _vacuum_analyze(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalog_track")
            cursor.execute("VACUUM ANALYZE catalog_tracktag")

    def _warm_with(self, queries: np.ndarray) -> None:
        """One untimed pass of the queries, so the timings are a serving server's steady state and
        not the first reads of a freshly built 2 GB index (the embedded PostgreSQL has no pg_prewarm)."""
        self.stderr.write("Warming the cache with one untimed pass of the queries...")
        for query in queries:
            track_vector_search(query_vector=query, k=K)

    # --- search ----------------------------------------------------------------------------

    def _mask(self, catalog: Catalog, filters: SearchFilters) -> np.ndarray | None:
        """Which rows pass ``filters``, computed as SearchFilters defines it (for the exact truth)."""
        if filters.is_empty():
            return None
        if filters.tags_none or filters.exclude_ids or filters.exclude_explicit:
            raise NotImplementedError("The benchmark's masks cover tags_any, year_range and feature_ranges.")
        real = np.ones(catalog.real_count, dtype=bool)
        if filters.tags_any:
            names = {name.lower() for name in filters.tags_any}
            real &= np.array([bool(tags & names) for tags in catalog.tag_names])
        low, high = filters.year_range
        # NaN (no year / no value) fails every comparison, as NULL fails the SQL filter.
        if low is not None:
            real &= catalog.years >= low
        if high is not None:
            real &= catalog.years <= high
        for feature, (feature_low, feature_high) in filters.feature_ranges.items():
            values = catalog.features[feature]
            if feature_low is not None:
                real &= values >= feature_low
            if feature_high is not None:
                real &= values <= feature_high
        return real[catalog.source_row]

    def _search(self, catalog: Catalog, queries: np.ndarray) -> dict[str, VariantResult]:
        masks = {label: self._mask(catalog, filters) for label, filters in VARIANTS.items()}
        started = time.perf_counter()
        truth_rows = benchmarking.exact_top_k(catalog.vectors, queries, k=K, masks=masks)
        truth = {
            label: [catalog.ids[rows].tolist() for rows in per_query]
            for label, per_query in truth_rows.items()
        }
        self.stderr.write(f"Exact top {K} by numpy brute force: {time.perf_counter() - started:.1f} s")
        exact_sample = len(queries) if catalog.size <= EXACT_SQL_FULL_MAX_ROWS else EXACT_SQL_SAMPLE

        results = {}
        for label, filters in VARIANTS.items():
            mask = masks[label]
            passing = catalog.size if mask is None else int(mask.sum())
            path = self._path(filters)
            latencies, found = self._timed_queries(queries, filters, desc=f"{label} ({catalog.size:,})")
            exact_latencies, exact_found = self._timed_queries(
                queries[:exact_sample], filters, exact=True, desc=f"{label} exact SQL"
            )
            if self.options["explain"]:
                self._explain(queries[0], filters, label)
            results[label] = VariantResult(
                rows_passing=passing,
                selectivity=passing / catalog.size,
                path=path,
                latency_ms=benchmarking.latency_summary(latencies),
                recall_at_10=benchmarking.mean_recall(
                    [
                        benchmarking.recall_at_k(ids, true, K)
                        for ids, true in zip(found, truth[label], strict=False)
                    ]
                ),
                short_answers=sum(len(ids) < min(K, passing) for ids in found),
                exact_sql_ms=benchmarking.latency_summary(exact_latencies),
                exact_sql_agreement=benchmarking.mean_recall(
                    [
                        benchmarking.recall_at_k(ids, true, K)
                        for ids, true in zip(exact_found, truth[label], strict=False)
                    ]
                ),
            )
        return results

    def _path(self, filters: SearchFilters) -> str:
        """Which path track_vector_search takes for this filter here, as the search module decides it."""
        if filters.is_empty():
            return "index"
        decide = getattr(search, "_small_filtered_set", None)  # a private helper: diagnostics only
        if decide is None:
            return "?"
        with transaction.atomic():
            return "exact" if decide(apply_filters(Track.objects.all(), filters), filters) else "index"

    def _timed_queries(
        self, queries: np.ndarray, filters: SearchFilters, *, desc: str, exact: bool = False
    ) -> tuple[list[float], list[list[int]]]:
        """Time each query; stop early once the variant has used its --budget (a pathological path
        can take seconds a query at 1M, and its figure is clear after a few dozen)."""
        for query in queries[:WARMUP_QUERIES]:
            track_vector_search(query_vector=query, k=K, filters=filters, exact=exact)
        latencies: list[float] = []
        found: list[list[int]] = []
        deadline = time.perf_counter() + self.options["budget"]
        for query in tqdm(queries, desc=desc, unit="query", file=self.stderr, leave=False):
            started = time.perf_counter()
            hits = track_vector_search(query_vector=query, k=K, filters=filters, exact=exact)
            latencies.append((time.perf_counter() - started) * 1000)
            found.append([hit.track_id for hit in hits])
            if started > deadline:
                break
        return latencies, found

    def _explain(self, query: np.ndarray, filters: SearchFilters, label: str) -> None:
        """The plan of the index path's ranking query, rebuilt here as catalog.search builds it."""
        ranked = (
            apply_filters(Track.objects.all(), filters)
            .filter(embedding__isnull=False)
            .annotate(distance=CosineDistance("embedding", query))
            .order_by("distance")
            .values_list("pk", "distance")[:K]
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL hnsw.ef_search = {max(settings.VECTOR_SEARCH_EF_SEARCH, K)}")
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            plan = ranked.explain(analyze=True, buffers=True)
        plan = re.sub(r"'\[[^']*\]'::vector", "'[...]'::vector", plan)
        self.stdout.write(f"  EXPLAIN ANALYZE, {label}, index path:\n    " + plan.replace("\n", "\n    "))

    def _print_search(self, result: SizeResult) -> None:
        self.stdout.write(
            f"  {'variant':<16} {'rows passing':>13} {'share':>6} {'path':<6} {'n':>4} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'mean ms':>8} {'recall@10':>9} {'short':>5} | {'exact SQL p50':>13} {'n':>4} "
            f"{'agree':>5}"
        )
        for label, variant in result.variants.items():
            latency, exact = variant.latency_ms, variant.exact_sql_ms
            self.stdout.write(
                f"  {label:<16} {variant.rows_passing:>13,} {variant.selectivity:>6.1%} {variant.path:<6} "
                f"{latency.count:>4} {latency.p50:>7.1f} {latency.p95:>7.1f} {latency.mean:>8.1f} "
                f"{variant.recall_at_10:>9.3f} {variant.short_answers:>5} | "
                f"{exact.p50:>10.1f} ms {exact.count:>4} {variant.exact_sql_agreement:>5.3f}"
            )
        self.stdout.write(
            "  (n: queries timed, fewer than asked when --budget ran out; short: answers with fewer than 10 "
            "rows; exact SQL: track_vector_search(exact=True), the baseline; agree: its recall@10 against "
            "the numpy truth, 1.000 when ids match)"
        )

    # --- targets ---------------------------------------------------------------------------

    def _targets(self, throughput: dict[str, Any], results: list[SizeResult]) -> list[dict[str, Any]]:
        searches = [
            benchmarking.SizeFigures(
                rows=result.rows,
                variants={
                    label: benchmarking.VariantFigures(
                        p95_ms=variant.latency_ms.p95,
                        recall_at_10=variant.recall_at_10,
                        short_answers=variant.short_answers,
                    )
                    for label, variant in result.variants.items()
                },
            )
            for result in results
        ]
        targets = [asdict(target) for target in benchmarking.catalog_targets(throughput["ratio"], searches)]
        self.stdout.write(self.style.MIGRATE_HEADING("\nTargets"))
        for target in targets:
            verdict = {True: self.style.SUCCESS("PASS"), False: self.style.ERROR("FAIL"), None: "----"}[
                target["passed"]
            ]
            self.stdout.write(f"  {verdict}  {target['name']}: {target['shown']}")
        return targets


_OPTION_KEYS = (
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


def _binary_field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _copy_out_binary(sql: str, *, leading_fields: int) -> Iterator[tuple[list[bytes], bytes]]:
    """Rows of a COPY ... TO STDOUT (FORMAT BINARY): the first fields split out, the rest as raw bytes.

    The raw remainder keeps its length words, so it can be written back into a binary COPY as is.
    """
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data.startswith(COPY_SIGNATURE):
        raise CommandError("Unexpected binary COPY output from PostgreSQL.")
    extension_length = struct.unpack_from(">i", data, len(COPY_SIGNATURE) + 4)[0]
    position = len(COPY_SIGNATURE) + 8 + extension_length
    while True:
        (count,) = struct.unpack_from(">h", data, position)
        position += 2
        if count == -1:
            return
        fields = []
        rest_start = position
        for index in range(count):
            (length,) = struct.unpack_from(">i", data, position)
            position += 4
            value = data[position : position + max(length, 0)]
            position += max(length, 0)
            if index < leading_fields:
                fields.append(value)
                rest_start = position
        yield fields, data[rest_start:position]


class _index_build_progress:  # noqa: N801 - used as a context manager, named like one
    """A tqdm bar fed from pg_stat_progress_create_index on a second connection while the index builds."""

    def __init__(self, rows: int, stream: Any) -> None:
        self.rows = rows
        self.stream = stream
        self.stop = threading.Event()

    def __enter__(self) -> None:
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _poll(self) -> None:
        watcher = connection.get_new_connection(connection.get_connection_params())
        watcher.autocommit = True  # progress views are snapshotted per transaction
        try:
            with tqdm(total=self.rows, unit="row", desc="HNSW build", file=self.stream) as bar:
                while not self.stop.wait(2.0):
                    row = watcher.execute(
                        "SELECT phase, tuples_done, blocks_done, blocks_total "
                        "FROM pg_stat_progress_create_index WHERE relid = 'catalog_track'::regclass"
                    ).fetchone()
                    if row is None:
                        continue
                    phase, tuples_done, blocks_done, blocks_total = row
                    done = tuples_done or (self.rows * blocks_done // blocks_total if blocks_total else 0)
                    bar.set_postfix_str(phase)
                    bar.update(max(0, min(done, self.rows) - bar.n))
        finally:
            watcher.close()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _number(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:,.{digits}f}"


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN (nothing to measure) to null."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
