"""Stream start: time to first byte and to a seek through /tracks/<id>/stream, beside the same
file served as a static file, in one run on 127.0.0.1 (see catalog/streaming.py).

    manage.py bench_stream [--requests 200] [--seconds 240]

Makes a 4-minute MP3 in a temporary library, scans it, measures, then removes the library and
the track it made. Exits non-zero when a ranged request was not answered with 206.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application

from catalog import sources
from catalog.bench import streaming, synth
from catalog.models import LIBRARY_TRACK_SOURCE, MediaFile, Track
from catalog.stream_links import signed_stream_path


class Command(BaseCommand):
    help = "Time to first byte and to a seek of a track's stream, beside a static file (127.0.0.1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, help="Starts and seeks, each.")
        parser.add_argument("--seconds", type=float, default=240.0, help="Length of the test track.")
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["requests"] < 20:
            raise CommandError("--requests must be at least 20 (a p95 needs them).")
        with tempfile.TemporaryDirectory(prefix="segue-bench-stream-") as scratch:
            folder = Path(scratch)
            audio = self._track_file(folder, seconds=options["seconds"], seed=options["seed"])
            source = sources.library_source_add(root=str(folder), name="bench_stream (temporary)")
            try:
                track_id = self._scan(source.pk)
                segue, static = self._measure(folder, audio, track_id, options)
            finally:
                track_ids = list(MediaFile.objects.filter(source=source).values_list("track_id", flat=True))
                sources.library_source_remove(source_id=source.pk)
                Track.objects.filter(pk__in=track_ids, source=LIBRARY_TRACK_SOURCE).delete()
        for line in streaming.report_lines(segue, static):
            self.stdout.write(line)
        if not streaming.all_answered(segue, static):
            raise CommandError("Some ranged requests were not answered with 206 (see errors above).")

    def _track_file(self, folder: Path, *, seconds: float, seed: int) -> Path:
        self.stderr.write(f"Synthesizing a {seconds:.0f} s MP3…")
        spec = synth.SongSpec(tempo_bpm=120.0, key=2, mode=1, seconds=seconds)
        samples = synth.song(spec, rng=np.random.default_rng(seed))
        return synth.write_audio(folder / "bench.mp3", samples, synth.SAMPLE_RATE, "mp3")

    def _scan(self, source_id: int) -> int:
        scan = sources.library_scan_request(source_id=source_id, enqueue=False)
        sources.library_scan_run(scan_id=scan.pk, analyse=False)
        media_file = MediaFile.objects.filter(source_id=source_id).first()
        if media_file is None:
            raise CommandError("The synthesized file was not scanned.")
        return media_file.track_id

    def _measure(
        self, folder: Path, audio: Path, track_id: int, options: dict[str, Any]
    ) -> tuple[streaming.Summary, streaming.Summary]:
        size = audio.stat().st_size
        # A year-long link: the measurement must not cross an expiry.
        stream_path = signed_stream_path(track_id=track_id, ttl_seconds=365 * 24 * 3600)
        count, seed = options["requests"], options["seed"]
        with streaming.serving(get_wsgi_application()) as segue_port:
            streaming.ranged_get(segue_port, stream_path, 0)  # warm: URL resolver, connections
            segue = streaming.measure(
                "Segue stream", segue_port, stream_path, size=size, requests=count, seed=seed
            )
        with streaming.serving(streaming.static_app(folder)) as static_port:
            static_path = f"/static/{audio.name}"
            streaming.ranged_get(static_port, static_path, 0)
            static = streaming.measure(
                "static file", static_port, static_path, size=size, requests=count, seed=seed
            )
        return segue, static
