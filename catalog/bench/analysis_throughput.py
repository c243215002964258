"""Throughput of tag reading + audio analysis on 4-minute MP3s, beside decoding alone (no Django).

What a library scan does per file, in worker processes as the Celery analysis queue runs them:
``mutagen.File`` (tags and duration) then ``analyse_file``. The floor, measured in the same run
on the same files with the same pool, is decoding the same excerpt alone (``read_excerpt``): the
part no analysis can avoid. Each worker process is started with ``spawn`` (a fresh interpreter,
as a worker is) and warmed (``warm_up``) before any clock starts, so numba's one-off compilation
is not counted; peak RSS is read in each worker with ``resource.getrusage``.

The files are N copies of a few distinct synthesized songs (synthesizing and encoding 4 minutes
takes several seconds each); copies cost the analysis exactly what distinct files do.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mutagen
import numpy as np

from catalog.audio.analysis import analyse_file, warm_up
from catalog.audio.decoding import read_excerpt
from catalog.bench import synth

TRACK_SECONDS = 240.0
DISTINCT_SONGS = 4
DEFAULT_TRACKS = 24
DEFAULT_PROCESSES = 2
TARGET_TRACKS_PER_MINUTE = 60.0
PHASE_NAMES = {"decode": "decode the excerpt alone", "scan": "tags + analysis"}


def make_tracks(
    directory: Path, *, count: int = DEFAULT_TRACKS, seed: int = 1, seconds: float = TRACK_SECONDS
) -> list[Path]:
    """``count`` stereo MP3s of ``seconds`` (4 minutes) in ``directory`` (reused when already there)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sources = []
    for index in range(min(DISTINCT_SONGS, count)):
        path = directory / f"song-{index}-{round(seconds)}s.mp3"
        if not path.exists():
            spec = synth.SongSpec(
                tempo_bpm=float(rng.uniform(70, 170)),
                key=int(rng.integers(12)),
                mode=index % 2,
                seconds=seconds,
                pattern=list(synth.DRUM_PATTERNS)[index % len(synth.DRUM_PATTERNS)],
                timbre=list(synth.TIMBRES)[index % len(synth.TIMBRES)],
                gain_db=-6.0,
            )
            synth.write_audio(path, synth.song(spec, rng=rng), synth.SAMPLE_RATE, "mp3")
        sources.append(path)
    tracks = []
    for index in range(count):
        path = directory / f"track-{index:04d}-{round(seconds)}s.mp3"
        if not path.exists():
            shutil.copyfile(sources[index % len(sources)], path)
        tracks.append(path)
    return tracks


@dataclass(frozen=True)
class WorkerSample:
    pid: int
    peak_rss_mb: float
    ok: bool
    cpu_seconds: float  # user + system time of the worker for this file


def _worker_start() -> None:
    warm_up()


def _ready(_index: int) -> int:
    time.sleep(0.5)  # long enough that every worker takes one: all are started and warmed
    return os.getpid()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def scan_one(path: Path) -> WorkerSample:
    """What the scan does per file: tags, then the analysis."""
    cpu_before = _cpu_seconds()
    tags = mutagen.File(str(path))
    ok = tags is not None
    analyse_file(path)
    return WorkerSample(os.getpid(), _peak_rss_mb(), ok, _cpu_seconds() - cpu_before)


def decode_one(path: Path) -> WorkerSample:
    """The floor: decode the excerpt the analysis reads, nothing else."""
    cpu_before = _cpu_seconds()
    excerpt = read_excerpt(path)
    return WorkerSample(os.getpid(), _peak_rss_mb(), len(excerpt.samples) > 0, _cpu_seconds() - cpu_before)


@dataclass(frozen=True)
class Throughput:
    name: str
    tracks: int
    seconds: float
    peak_rss_mb_by_process: dict[int, float]
    failures: int
    cpu_seconds: float  # summed over the tracks

    @property
    def cpu_seconds_per_track(self) -> float:
        return self.cpu_seconds / self.tracks if self.tracks else 0.0

    def tracks_per_minute_on_idle_cores(self, cores: int) -> float:
        """What ``cores`` cores of our own would do: a machine shared with others stretches the
        wall clock, not the CPU time each track needs."""
        return 60.0 * cores / self.cpu_seconds_per_track if self.cpu_seconds_per_track else 0.0

    @property
    def tracks_per_minute(self) -> float:
        return 60.0 * self.tracks / self.seconds if self.seconds > 0 else 0.0


def measure(
    name: str,
    work: Callable[[Path], WorkerSample],
    tracks: list[Path],
    *,
    processes: int,
    on_progress: Callable[[int], object] | None = None,
) -> Throughput:
    """Run ``work`` over ``tracks`` in a fresh pool of warmed processes; only the work is timed."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_worker_start) as pool:
        pool.map(_ready, range(processes), chunksize=1)
        started = time.perf_counter()
        samples = []
        for sample in pool.imap_unordered(work, tracks, chunksize=1):
            samples.append(sample)
            if on_progress:
                on_progress(1)
        seconds = time.perf_counter() - started
    peaks: dict[int, float] = {}
    for sample in samples:
        peaks[sample.pid] = max(peaks.get(sample.pid, 0.0), sample.peak_rss_mb)
    failures = sum(1 for sample in samples if not sample.ok)
    cpu = sum(sample.cpu_seconds for sample in samples)
    return Throughput(name, len(tracks), seconds, peaks, failures, cpu)


@dataclass(frozen=True)
class BenchmarkResult:
    scan: Throughput
    decode: Throughput
    processes: int
    load_average: tuple[float, float, float]

    @property
    def ratio(self) -> float:
        """Scan throughput as a share of decoding alone."""
        return (
            self.scan.tracks_per_minute / self.decode.tracks_per_minute
            if self.decode.tracks_per_minute
            else 0.0
        )

    @property
    def target_met(self) -> bool:
        return self.scan.tracks_per_minute >= TARGET_TRACKS_PER_MINUTE and self.scan.failures == 0

    def lines(self) -> list[str]:
        lines = [
            f"{self.scan.tracks} four-minute MP3s, {self.processes} processes (spawned, warmed); "
            f"load average before: {' '.join(f'{value:.2f}' for value in self.load_average)}"
        ]
        for throughput in (self.decode, self.scan):
            peaks = ", ".join(f"{peak:.0f}" for peak in sorted(throughput.peak_rss_mb_by_process.values()))
            lines.append(
                f"  {throughput.name:<26} {throughput.tracks_per_minute:7.1f} tracks/min "
                f"({throughput.seconds:.1f} s wall; {throughput.cpu_seconds_per_track:.2f} CPU s a track, "
                f"{throughput.tracks_per_minute_on_idle_cores(self.processes):.0f} tracks/min on "
                f"{self.processes} idle cores); peak RSS per process: {peaks} MB"
            )
        lines.append(f"  scan / decode-only ratio: {self.ratio:.2f}")
        verdict = "ok  " if self.target_met else "MISS"
        lines.append(
            f"  {verdict} tags + analysis: {self.scan.tracks_per_minute:.1f} tracks/min "
            f"(target ≥ {TARGET_TRACKS_PER_MINUTE:.0f})"
        )
        return lines


def run_benchmark(tracks: list[Path], *, processes: int = DEFAULT_PROCESSES) -> BenchmarkResult:
    """Decode-only first, then tags + analysis, each in its own warmed pool."""
    load = os.getloadavg()
    decode = measure(PHASE_NAMES["decode"], decode_one, tracks, processes=processes)
    scan = measure(PHASE_NAMES["scan"], scan_one, tracks, processes=processes)
    return BenchmarkResult(scan=scan, decode=decode, processes=processes, load_average=load)
