from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.bench import analysis_throughput


class Command(BaseCommand):
    help = (
        "Throughput of a library scan's per-file work (tags with mutagen + audio analysis) on "
        "4-minute MP3s in warmed worker processes, beside decoding the same excerpt alone, measured "
        "in the same run. Exits non-zero below 60 tracks a minute. Needs no database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tracks", type=int, default=analysis_throughput.DEFAULT_TRACKS, help="MP3s to process."
        )
        parser.add_argument(
            "--processes", type=int, default=analysis_throughput.DEFAULT_PROCESSES, help="Worker processes."
        )
        parser.add_argument("--out", type=Path, help="Keep (and reuse) the MP3s in this folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tracks"] < 1 or options["processes"] < 1:
            raise CommandError("--tracks and --processes must be at least 1")
        if options["out"]:
            result = self._run(Path(options["out"]), options)
        else:
            with tempfile.TemporaryDirectory(prefix="segue-bench-analysis-") as scratch:
                result = self._run(Path(scratch), options)
        for line in result.lines():
            self.stdout.write(line)
        if not result.target_met:
            raise CommandError("tags + analysis is below the target throughput")

    def _run(self, directory: Path, options: dict[str, Any]) -> analysis_throughput.BenchmarkResult:
        self.stderr.write(f"Making {options['tracks']} four-minute MP3s in {directory} …")
        tracks = analysis_throughput.make_tracks(directory, count=options["tracks"])
        load = os.getloadavg()
        timed = {}
        for name, work in (
            ("decode", analysis_throughput.decode_one),
            ("scan", analysis_throughput.scan_one),
        ):
            with tqdm(total=len(tracks), unit="track", desc=name, file=self.stderr) as bar:
                timed[name] = analysis_throughput.measure(
                    analysis_throughput.PHASE_NAMES[name],
                    work,
                    tracks,
                    processes=options["processes"],
                    on_progress=bar.update,
                )
        return analysis_throughput.BenchmarkResult(
            scan=timed["scan"], decode=timed["decode"], processes=options["processes"], load_average=load
        )
