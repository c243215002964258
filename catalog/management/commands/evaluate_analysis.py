from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.audio.analysis import warm_up
from catalog.bench import analysis_accuracy


class Command(BaseCommand):
    help = (
        "Synthesize music with known tempo, key and loudness (plus broken files), analyse it and "
        "print how often the analysis is right. Exits non-zero when a target is missed. "
        "Needs no database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--count", type=int, default=analysis_accuracy.DEFAULT_COUNT, help="Songs to synthesize."
        )
        parser.add_argument(
            "--seed", type=int, default=analysis_accuracy.DEFAULT_SEED, help="Seed of the material."
        )
        parser.add_argument(
            "--out", type=Path, help="Keep the files in this folder (default: a temporary one)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["count"] < 1:
            raise CommandError("--count must be at least 1")
        if options["out"]:
            report = self._run(Path(options["out"]), options)
        else:
            with tempfile.TemporaryDirectory(prefix="segue-evaluate-") as scratch:
                report = self._run(Path(scratch), options)
        for line in report.lines():
            self.stdout.write(line)
        if not report.all_targets_met:
            missed = [name for name, (_figure, met) in report.targets().items() if not met]
            raise CommandError(f"targets missed: {', '.join(missed)}")
        self.stdout.write(self.style.SUCCESS("All targets met."))

    def _run(self, directory: Path, options: dict[str, Any]) -> analysis_accuracy.EvaluationReport:
        with tqdm(total=options["count"], unit="song", desc="Synthesizing", file=self.stderr) as bar:
            cases = analysis_accuracy.build_cases(
                directory, count=options["count"], seed=options["seed"], on_progress=bar.update
            )
        warm_up()  # the first analysis would otherwise carry the numba compilation
        with tqdm(total=len(cases), unit="file", desc="Analysing", file=self.stderr) as bar:
            return analysis_accuracy.evaluate(cases, on_progress=bar.update)
