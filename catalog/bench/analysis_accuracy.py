"""How right the audio analysis is, on synthesized music whose truth is known (no Django imports).

``build_cases`` synthesizes a varied set (tempi 60-180 BPM, the 24 keys in turn, four drum
patterns, five timbres, eight chord progressions, every writable format, mono and stereo, gains
from -24 to 0 dB, lengths 20-75 s so some files are longer than the excerpt, drums off the grid
by up to 12 ms (standard deviation) with varying loudness, two songs in three with a melody that
wanders over the scale), plus broken files (a truncated MP3 and FLAC, a text file named .mp3, a
zero-length file, random bytes).
``evaluate`` analyses them and ``EvaluationReport`` judges the issue's targets:

- tempo within 2 % of the synthesized tempo (double or half counts as wrong) for ≥ 95 %;
- key and mode exactly right for ≥ 85 %;
- loudness within 1 LU of the reference for every file. The reference is pyloudnorm's BS.1770
  integrated loudness of the synthesized float signal *before encoding*, over the same window
  the analysis reads (the centred excerpt), so lossy encoding and decoding are part of what is
  measured;
- every well-formed file analysed, and no broken file crashing the analysis (a refusal with
  AnalysisError and a reason is the expected outcome; anything else raised is a crash).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyloudnorm  # type: ignore[import-untyped]

from catalog.audio.analysis import AnalysisError, AudioAnalysis, analyse_file
from catalog.audio.decoding import excerpt_window
from catalog.bench import synth

TEMPO_TOLERANCE = 0.02
LOUDNESS_TOLERANCE_LU = 1.0
TARGET_TEMPO_SHARE = 0.95
TARGET_KEY_SHARE = 0.85
TARGET_LOUDNESS_SHARE = 1.0
DEFAULT_COUNT = 48
DEFAULT_SEED = 2026


@dataclass(frozen=True)
class EvaluationCase:
    """One file to analyse: a song with its known truth, or a broken file (``spec`` None)."""

    path: Path
    audio_format: str
    spec: synth.SongSpec | None = None
    reference_lufs: float | None = None

    @property
    def broken(self) -> bool:
        return self.spec is None


@dataclass(frozen=True)
class CaseResult:
    case: EvaluationCase
    analysis: AudioAnalysis | None = None
    refusal: str | None = None  # the AnalysisError's reason
    crash: str | None = None  # any other exception, with its traceback's last line
    seconds: float = 0.0

    @property
    def tempo_correct(self) -> bool:
        if self.case.spec is None or self.analysis is None or self.analysis.tempo is None:
            return False
        truth = self.case.spec.tempo_bpm
        return abs(self.analysis.tempo - truth) <= TEMPO_TOLERANCE * truth

    @property
    def key_correct(self) -> bool:
        if self.case.spec is None or self.analysis is None:
            return False
        return self.analysis.key == self.case.spec.key and self.analysis.mode == self.case.spec.mode

    @property
    def loudness_error(self) -> float | None:
        if self.analysis is None or self.analysis.loudness_lufs is None or self.case.reference_lufs is None:
            return None
        return abs(self.analysis.loudness_lufs - self.case.reference_lufs)

    @property
    def loudness_correct(self) -> bool:
        error = self.loudness_error
        return error is not None and error <= LOUDNESS_TOLERANCE_LU

    def describe(self) -> str:
        """One line saying what was expected and what came out (for the failures list)."""
        name = self.case.path.name
        if self.crash:
            return f"{name}: CRASH {self.crash}"
        if self.refusal is not None and not self.case.broken:
            return f"{name}: refused a well-formed file: {self.refusal}"
        spec, analysis = self.case.spec, self.analysis
        if spec is None or analysis is None:
            return f"{name}: broken file analysed without complaint"
        return (
            f"{name}: tempo {spec.tempo_bpm:.1f} -> {analysis.tempo}, key {spec.key_name} -> "
            f"{_key_name(analysis.key, analysis.mode)}, LUFS {self.case.reference_lufs:.2f} -> "
            f"{analysis.loudness_lufs} ({spec.pattern}, {spec.timbre}, {spec.progression})"
        )


def _key_name(key: int | None, mode: int | None) -> str:
    if key is None or mode is None:
        return "none"
    return f"{synth.PITCH_CLASS_NAMES[key]} {'major' if mode == synth.MAJOR else 'minor'}"


@dataclass(frozen=True)
class EvaluationReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def songs(self) -> list[CaseResult]:
        return [result for result in self.results if not result.case.broken]

    @property
    def broken(self) -> list[CaseResult]:
        return [result for result in self.results if result.case.broken]

    def _share(self, predicate: Callable[[CaseResult], bool]) -> float:
        songs = self.songs
        return sum(1 for result in songs if predicate(result)) / len(songs) if songs else 0.0

    @property
    def analysed_share(self) -> float:
        return self._share(lambda result: result.analysis is not None)

    @property
    def tempo_share(self) -> float:
        return self._share(lambda result: result.tempo_correct)

    @property
    def key_share(self) -> float:
        return self._share(lambda result: result.key_correct)

    @property
    def loudness_share(self) -> float:
        return self._share(lambda result: result.loudness_correct)

    @property
    def crashes(self) -> int:
        return sum(1 for result in self.results if result.crash)

    @property
    def broken_refused(self) -> int:
        return sum(1 for result in self.broken if result.refusal is not None)

    @property
    def worst_loudness_error(self) -> float | None:
        errors = [result.loudness_error for result in self.songs if result.loudness_error is not None]
        return max(errors) if errors else None

    def targets(self) -> dict[str, tuple[str, bool]]:
        """Each target: (the measured figure, met?)."""
        return {
            "tempo within 2 %": (
                f"{self.tempo_share:.1%} (target ≥ 95 %)",
                self.tempo_share >= TARGET_TEMPO_SHARE,
            ),
            "key and mode exact": (
                f"{self.key_share:.1%} (target ≥ 85 %)",
                self.key_share >= TARGET_KEY_SHARE,
            ),
            "loudness within 1 LU": (
                f"{self.loudness_share:.1%}, worst {self.worst_loudness_error or 0:.2f} LU (target 100 %)",
                self.loudness_share >= TARGET_LOUDNESS_SHARE,
            ),
            "well-formed files analysed": (
                f"{self.analysed_share:.1%} (target 100 %)",
                self.analysed_share >= 1.0,
            ),
            "crashes": (f"{self.crashes} (target 0)", self.crashes == 0),
        }

    @property
    def all_targets_met(self) -> bool:
        return all(met for _figure, met in self.targets().values())

    def lines(self) -> list[str]:
        """The report as printed by ``manage.py evaluate_analysis``."""
        songs = self.songs
        seconds = [result.seconds for result in songs if result.analysis is not None]
        formats = sorted({result.case.audio_format for result in songs})
        lines = [
            f"{len(songs)} synthesized songs ({', '.join(formats)}), {len(self.broken)} broken files; "
            f"analysis {np.mean(seconds) if seconds else 0:.2f} s a file on average",
        ]
        for name, (figure, met) in self.targets().items():
            lines.append(f"  {'ok  ' if met else 'MISS'} {name}: {figure}")
        lines.append(f"  broken files refused with a reason: {self.broken_refused} of {len(self.broken)}")
        for result in self.broken:
            outcome = result.crash or result.refusal or "analysed"
            lines.append(f"      {result.case.path.name}: {outcome}")
        failures = [
            result
            for result in self.results
            if result.crash
            or (
                not result.case.broken
                and not (result.tempo_correct and result.key_correct and result.loudness_correct)
            )
        ]
        if failures:
            lines.append("  files with something wrong:")
            lines.extend(f"      {result.describe()}" for result in failures)
        return lines


def song_specs(count: int, *, rng: np.random.Generator) -> list[synth.SongSpec]:
    """``count`` varied songs: the 24 keys in turn (shuffled), everything else drawn at random."""
    keys = [(key, mode) for mode in (synth.MAJOR, synth.MINOR) for key in range(12)]
    order = rng.permutation(len(keys))
    patterns, timbres = list(synth.DRUM_PATTERNS), list(synth.TIMBRES)
    specs = []
    for index in range(count):
        key, mode = keys[int(order[index % len(keys)])]
        progressions = list(synth.PROGRESSIONS[mode])
        long_file = index % 8 == 7  # longer than the 60 s excerpt: only the middle is analysed
        specs.append(
            synth.SongSpec(
                tempo_bpm=round(float(rng.uniform(60.0, 180.0)), 2),
                key=key,
                mode=mode,
                seconds=75.0 if long_file else round(float(rng.uniform(20.0, 40.0)), 1),
                pattern=patterns[int(rng.integers(len(patterns)))],
                progression=progressions[int(rng.integers(len(progressions)))],
                timbre=timbres[int(rng.integers(len(timbres)))],
                gain_db=round(float(rng.uniform(-24.0, 0.0)), 1),
                channels=1 if index % 5 == 4 else 2,
                humanize_ms=round(float(rng.uniform(0.0, 12.0)), 1),
                with_melody=index % 3 != 0,
            )
        )
    return specs


def reference_loudness(samples: np.ndarray, sample_rate: int, *, excerpt_seconds: float) -> float:
    """pyloudnorm's integrated loudness of the float signal over the analysis's excerpt window."""
    total = len(samples) / sample_rate
    start, length = excerpt_window(total, excerpt_seconds)
    window = samples[int(start * sample_rate) : int((start + length) * sample_rate)]
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(window.astype(np.float64)))


def build_cases(
    directory: Path,
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    excerpt_seconds: float = 60.0,
    on_progress: Callable[[int], object] | None = None,
) -> list[EvaluationCase]:
    """Synthesize ``count`` songs (formats in turn) and the broken files into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    formats = synth.available_formats()
    cases: list[EvaluationCase] = []
    for index, spec in enumerate(song_specs(count, rng=rng)):
        audio_format = formats[index % len(formats)]
        samples = synth.song(spec, rng=rng)
        slug = f"{index:03d}-{spec.pattern}-{round(spec.tempo_bpm)}bpm-{spec.key_name.replace(' ', '-')}"
        path = synth.write_audio(
            directory / f"{slug}.{audio_format}", samples, synth.SAMPLE_RATE, audio_format
        )
        reference = reference_loudness(samples, synth.SAMPLE_RATE, excerpt_seconds=excerpt_seconds)
        cases.append(
            EvaluationCase(path=path, audio_format=audio_format, spec=spec, reference_lufs=reference)
        )
        if on_progress:
            on_progress(1)
    for path in _broken_files(directory, rng=rng):
        cases.append(EvaluationCase(path=path, audio_format=path.suffix.lstrip(".")))
    return cases


def _broken_files(directory: Path, *, rng: np.random.Generator) -> list[Path]:
    """The broken files, truncating an MP3 and a FLAC made for the purpose (whatever ``count``)."""
    whole = synth.song(synth.SongSpec(tempo_bpm=100.0, key=0, mode=synth.MAJOR, seconds=20.0), rng=rng)
    sources = [
        synth.write_audio(directory / f"whole.{audio_format}", whole, synth.SAMPLE_RATE, audio_format)
        for audio_format in ("mp3", "flac")
    ]
    broken = synth.broken_files(directory, rng=rng, sources=sources)
    for source in sources:
        source.unlink()
    return broken


def analyse_case(case: EvaluationCase, *, excerpt_seconds: float = 60.0) -> CaseResult:
    started = time.perf_counter()
    try:
        analysis = analyse_file(case.path, excerpt_seconds=excerpt_seconds)
    except AnalysisError as error:
        return CaseResult(case, refusal=str(error), seconds=time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 - counting crashes is the point
        where = traceback.format_exc().strip().splitlines()[-1]
        return CaseResult(
            case, crash=f"{type(error).__name__}: {where}", seconds=time.perf_counter() - started
        )
    return CaseResult(case, analysis=analysis, seconds=time.perf_counter() - started)


def evaluate(
    cases: Iterable[EvaluationCase],
    *,
    excerpt_seconds: float = 60.0,
    on_progress: Callable[[int], object] | None = None,
) -> EvaluationReport:
    results = []
    for case in cases:
        results.append(analyse_case(case, excerpt_seconds=excerpt_seconds))
        if on_progress:
            on_progress(1)
    return EvaluationReport(results)
