"""Synthesized audio with known content, for tests and the analysis evaluation (no Django imports).

Everything here is deterministic: randomness (noise for drums, choices of material) comes from a
``numpy.random.Generator`` the caller seeds. Signals are float32 in -1..1, shaped ``(samples,)``
for mono or ``(samples, channels)``.

The musical conventions are the ordinary ones, so that "the tempo" and "the key" of a rendering
are what a listener would say:

- drum patterns put a kick or a snare on every beat (rock backbeat, four-on-the-floor) and the
  hi-hats on subdivisions; a click track clicks every beat, louder on the downbeat;
- chord progressions start and end on the tonic chord, with the root in the bass.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile  # type: ignore[import-untyped]
from scipy import signal

SAMPLE_RATE = 44100
# Ogg Opus only takes these rates; anything else is resampled to 48 kHz before writing.
OPUS_SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
FFMPEG = "ffmpeg"
WRITE_BLOCK_FRAMES = 65536

PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR = 1
MINOR = 0


@dataclass(frozen=True)
class DrumPattern:
    """One bar of 4/4 in sixteenth-note steps (0..15)."""

    kick: tuple[int, ...]
    snare: tuple[int, ...]
    hat: tuple[int, ...]


DRUM_PATTERNS: dict[str, DrumPattern] = {
    "rock": DrumPattern(kick=(0, 8), snare=(4, 12), hat=(0, 2, 4, 6, 8, 10, 12, 14)),
    "four_on_the_floor": DrumPattern(kick=(0, 4, 8, 12), snare=(4, 12), hat=(2, 6, 10, 14)),
    "rock_syncopated": DrumPattern(kick=(0, 6, 8), snare=(4, 12), hat=(0, 2, 4, 6, 8, 10, 12, 14)),
    "sixteenths": DrumPattern(kick=(0, 8, 10), snare=(4, 12), hat=tuple(range(16))),
}

# Chords as (scale degree of the root in semitones above the tonic, quality).
ChordSpec = tuple[int, str]
CHORD_INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6)}
PROGRESSIONS: dict[int, dict[str, tuple[ChordSpec, ...]]] = {
    MAJOR: {
        "I-IV-V-I": ((0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")),
        "I-vi-IV-V": ((0, "maj"), (9, "min"), (5, "maj"), (7, "maj")),
        "I-IV-I-V": ((0, "maj"), (5, "maj"), (0, "maj"), (7, "maj")),
        "I-ii-V-I": ((0, "maj"), (2, "min"), (7, "maj"), (0, "maj")),
    },
    MINOR: {
        "i-iv-v-i": ((0, "min"), (5, "min"), (7, "min"), (0, "min")),
        "i-iv-V-i": ((0, "min"), (5, "min"), (7, "maj"), (0, "min")),
        "i-VI-iv-V": ((0, "min"), (8, "maj"), (5, "min"), (7, "maj")),
        "i-iio-V-i": ((0, "min"), (2, "dim"), (7, "maj"), (0, "min")),
    },
}

# Relative amplitude of harmonics 1..n for each instrument timbre, and how a note decays.
TIMBRES: dict[str, tuple[tuple[float, ...], float | None]] = {
    # (harmonic amplitudes, decay time constant in seconds or None for sustained)
    "organ": ((1.0, 0.6, 0.4, 0.3, 0.15, 0.1), None),
    "saw": (tuple(1.0 / k for k in range(1, 16)), None),
    "square": (tuple((1.0 / k if k % 2 else 0.0) for k in range(1, 16)), None),
    "piano": ((1.0, 0.5, 0.35, 0.2, 0.12, 0.08, 0.05), 0.9),
    "pluck": ((1.0, 0.7, 0.5, 0.3, 0.2, 0.1), 0.35),
}


def midi_to_hz(note: float) -> float:
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


def _seconds_to_samples(seconds: float, sample_rate: int) -> int:
    return max(int(round(seconds * sample_rate)), 0)


def _place(track: np.ndarray, event: np.ndarray, start: int, gain: float = 1.0) -> None:
    """Add ``event`` into ``track`` at sample ``start``, cut at the end of the track."""
    if start >= len(track):
        return
    end = min(start + len(event), len(track))
    track[start:end] += gain * event[: end - start]


def _decaying_noise(
    rng: np.random.Generator, samples: int, decay_seconds: float, sample_rate: int
) -> np.ndarray:
    time = np.arange(samples) / sample_rate
    return rng.standard_normal(samples) * np.exp(-time / decay_seconds)


def kick(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A sine whose pitch falls from 120 Hz to 45 Hz, the usual synthesized bass drum."""
    time = np.arange(_seconds_to_samples(0.35, sample_rate)) / sample_rate
    frequency = 45.0 + 75.0 * np.exp(-time / 0.04)
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
    return np.sin(phase) * np.exp(-time / 0.12)


def snare(rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A 185 Hz body plus band-passed noise (the snare wires)."""
    samples = _seconds_to_samples(0.2, sample_rate)
    time = np.arange(samples) / sample_rate
    body = np.sin(2 * np.pi * 185.0 * time) * np.exp(-time / 0.05)
    band = signal.butter(
        4, (1000.0, min(8000.0, 0.45 * sample_rate)), btype="bandpass", fs=sample_rate, output="sos"
    )
    wires = signal.sosfilt(band, _decaying_noise(rng, samples, 0.06, sample_rate))
    return 0.6 * body + 1.2 * wires


def hat(rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Short high-passed noise (closed hi-hat)."""
    samples = _seconds_to_samples(0.06, sample_rate)
    highpass = signal.butter(
        8, min(7000.0, 0.4 * sample_rate), btype="highpass", fs=sample_rate, output="sos"
    )
    return np.asarray(signal.sosfilt(highpass, _decaying_noise(rng, samples, 0.015, sample_rate)))


def click(*, accent: bool, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A 20 ms tone burst: 1.5 kHz on the downbeat, 1 kHz on the other beats (a metronome)."""
    time = np.arange(_seconds_to_samples(0.02, sample_rate)) / sample_rate
    frequency = 1500.0 if accent else 1000.0
    return np.sin(2 * np.pi * frequency * time) * np.exp(-time / 0.005)


def click_track(
    *, tempo_bpm: float, seconds: float, beats_per_bar: int = 4, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """One click per beat at ``tempo_bpm``; mono float32 peaking near 0.5."""
    track = np.zeros(_seconds_to_samples(seconds, sample_rate))
    beat_seconds = 60.0 / tempo_bpm
    for beat in range(int(seconds / beat_seconds) + 1):
        event = click(accent=beat % beats_per_bar == 0, sample_rate=sample_rate)
        _place(track, event, _seconds_to_samples(beat * beat_seconds, sample_rate), 0.5)
    return track.astype(np.float32)


def drum_pattern(
    *,
    tempo_bpm: float,
    seconds: float,
    pattern: str = "rock",
    rng: np.random.Generator,
    humanize_ms: float = 0.0,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """A drum kit playing ``pattern`` (a key of DRUM_PATTERNS) bar after bar; mono float32.

    ``humanize_ms``: each stroke lands off the grid by a normal draw with this standard deviation
    and its loudness varies by ±15 %, as a drummer's would (0: a machine)."""
    steps = DRUM_PATTERNS[pattern]
    track = np.zeros(_seconds_to_samples(seconds, sample_rate))
    step_seconds = 60.0 / tempo_bpm / 4
    kick_sound, snare_sound = kick(sample_rate), snare(rng, sample_rate)
    hat_sounds = [hat(rng, sample_rate) for _ in range(4)]  # a little variety between strokes
    for step in range(int(seconds / step_seconds) + 1):
        offset = rng.normal(0.0, humanize_ms / 1000.0) if humanize_ms else 0.0
        start = _seconds_to_samples(max(step * step_seconds + offset, 0.0), sample_rate)
        velocity = float(rng.uniform(0.85, 1.15)) if humanize_ms else 1.0
        position = step % 16
        if position in steps.kick:
            _place(track, kick_sound, start, 0.9 * velocity)
        if position in steps.snare:
            _place(track, snare_sound, start, 0.5 * velocity)
        if position in steps.hat:
            _place(
                track, hat_sounds[step % len(hat_sounds)], start, (0.25 if position % 4 else 0.35) * velocity
            )
    return (0.5 * track).astype(np.float32)


def _tone(frequency: float, samples: int, timbre: str, sample_rate: int) -> np.ndarray:
    harmonics, decay_seconds = TIMBRES[timbre]
    time = np.arange(samples) / sample_rate
    tone = np.zeros(samples)
    for number, amplitude in enumerate(harmonics, start=1):
        if amplitude and frequency * number < sample_rate / 2 * 0.9:  # no aliasing
            tone += amplitude * np.sin(2 * np.pi * frequency * number * time)
    tone /= sum(harmonics)
    if decay_seconds is None:
        envelope = np.minimum(1.0, time / 0.01)  # 10 ms attack, no click
    else:
        envelope = np.minimum(1.0, time / 0.003) * np.exp(-time / decay_seconds)
    release = min(samples, _seconds_to_samples(0.02, sample_rate))
    envelope[samples - release :] *= np.linspace(1.0, 0.0, release)
    return tone * envelope


def chord_notes(tonic: int, degree: int, quality: str, *, base_note: int = 55) -> list[int]:
    """MIDI notes of a chord in close position within an octave above ``base_note`` (G3)."""
    root = (tonic + degree) % 12
    lowest = base_note + ((root - base_note) % 12)
    return [lowest + interval for interval in CHORD_INTERVALS[quality]]


def chord_progression(
    *,
    key: int,
    mode: int,
    seconds: float,
    tempo_bpm: float = 100.0,
    progression: str | None = None,
    timbre: str = "organ",
    beats_per_chord: int = 4,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Chords of ``progression`` (default the first of the mode's PROGRESSIONS) in ``key`` (0 = C)
    and ``mode`` (1 major, 0 minor), with the chord root in the bass; mono float32 peaking < 1.
    The progression repeats, so the tonic chord opens and closes every cycle."""
    progressions = PROGRESSIONS[mode]
    chords = progressions[progression or next(iter(progressions))]
    chord_seconds = 60.0 / tempo_bpm * beats_per_chord
    chord_samples = _seconds_to_samples(chord_seconds, sample_rate)
    track = np.zeros(_seconds_to_samples(seconds, sample_rate))
    # Sustained timbres hold the chord for its bar; decaying ones (piano, pluck) strike it on every
    # beat, as a player comping would, instead of leaving most of the bar silent.
    sustained = TIMBRES[timbre][1] is None
    strikes = 1 if sustained else beats_per_chord
    strike_samples = chord_samples // strikes
    for index in range(int(np.ceil(seconds / chord_seconds))):
        degree, quality = chords[index % len(chords)]
        for strike in range(strikes):
            start = index * chord_samples + strike * strike_samples
            for note in chord_notes(key, degree, quality):
                tone = _tone(midi_to_hz(note), strike_samples, timbre, sample_rate)
                _place(track, tone, start, 0.25)
        start = index * chord_samples
        bass_note = 36 + (key + degree) % 12  # C2..B2
        _place(track, _tone(midi_to_hz(bass_note), chord_samples, "organ", sample_rate), start, 0.35)
    return track.astype(np.float32)


SCALES = {MAJOR: (0, 2, 4, 5, 7, 9, 11), MINOR: (0, 2, 3, 5, 7, 8, 10)}  # natural minor


def melody(
    *,
    key: int,
    mode: int,
    seconds: float,
    tempo_bpm: float,
    rng: np.random.Generator,
    timbre: str = "pluck",
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """A random walk over the key's scale (natural minor in minor keys), one note a beat, around
    the octave above middle C: passing and non-chord tones, as a tune has. Mono float32."""
    scale = SCALES[mode]
    beat_seconds = 60.0 / tempo_bpm
    note_samples = _seconds_to_samples(beat_seconds, sample_rate)
    track = np.zeros(_seconds_to_samples(seconds, sample_rate))
    degree = 7  # the tonic, an octave up (degrees count scale steps from the tonic below)
    for beat in range(int(seconds / beat_seconds) + 1):
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, 14))
        note = 60 + key + 12 * (degree // 7) + scale[degree % 7]
        _place(track, _tone(midi_to_hz(note), note_samples, timbre, sample_rate), beat * note_samples, 0.2)
    return track.astype(np.float32)


def gain_db(samples: np.ndarray, decibels: float) -> np.ndarray:
    """``samples`` scaled by ``decibels`` (a loud or quiet version with a known difference)."""
    return (samples * 10.0 ** (decibels / 20.0)).astype(np.float32)


def stereo(mono: np.ndarray, *, width: float = 0.2) -> np.ndarray:
    """A (samples, 2) signal: left and right differ by ``width`` so the channel layout matters."""
    return np.stack([mono * (1.0 - width / 2), mono * (1.0 + width / 2)], axis=1).astype(np.float32)


@dataclass(frozen=True)
class SongSpec:
    """What a synthesized song contains: the known truth the analysis is checked against."""

    tempo_bpm: float
    key: int
    mode: int
    seconds: float = 30.0
    pattern: str = "rock"
    progression: str | None = None
    timbre: str = "organ"
    gain_db: float = 0.0
    channels: int = 2
    humanize_ms: float = 0.0  # timing spread of the drums (see drum_pattern)
    with_melody: bool = False  # a tune over the chords (see melody)

    @property
    def key_name(self) -> str:
        return f"{PITCH_CLASS_NAMES[self.key]} {'major' if self.mode == MAJOR else 'minor'}"


def song(spec: SongSpec, *, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Drums and chords together (chords change every bar), and a melody when the spec asks,
    scaled by ``spec.gain_db``.

    Before the gain the mix peaks at 0.5, so any gain up to +6 dB stays below full scale."""
    drums = drum_pattern(
        tempo_bpm=spec.tempo_bpm,
        seconds=spec.seconds,
        pattern=spec.pattern,
        rng=rng,
        humanize_ms=spec.humanize_ms,
        sample_rate=sample_rate,
    )
    chords = chord_progression(
        key=spec.key,
        mode=spec.mode,
        seconds=spec.seconds,
        tempo_bpm=spec.tempo_bpm,
        progression=spec.progression,
        timbre=spec.timbre,
        sample_rate=sample_rate,
    )
    mix = drums + chords
    if spec.with_melody:
        mix += melody(
            key=spec.key,
            mode=spec.mode,
            seconds=spec.seconds,
            tempo_bpm=spec.tempo_bpm,
            rng=rng,
            sample_rate=sample_rate,
        )
    mix *= 0.5 / max(float(np.max(np.abs(mix))), 1e-9)
    mix = gain_db(mix, spec.gain_db)
    return stereo(mix) if spec.channels == 2 else mix


# Formats write_audio knows: soundfile (libsndfile) writes all but m4a, which needs ffmpeg.
SOUNDFILE_FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "opus": ("OGG", "OPUS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "aiff": ("AIFF", "PCM_16"),
}
AUDIO_FORMATS = (*SOUNDFILE_FORMATS, "m4a")


def ffmpeg_available() -> bool:
    return shutil.which(FFMPEG) is not None


def available_formats() -> tuple[str, ...]:
    """The formats write_audio can produce on this machine (m4a only with ffmpeg installed)."""
    return tuple(
        audio_format for audio_format in AUDIO_FORMATS if audio_format != "m4a" or ffmpeg_available()
    )


def _resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    resampled = signal.resample_poly(samples, target_rate, source_rate, axis=0)
    return np.asarray(resampled, dtype=np.float32)


def write_audio(path: Path, samples: np.ndarray, sample_rate: int, audio_format: str) -> Path:
    """Encode ``samples`` (float, -1..1, mono or (samples, channels)) to ``path`` as ``audio_format``
    (one of AUDIO_FORMATS). Opus is written at 48 kHz (the codec's own rate). Returns ``path``.

    Raises ValueError for an unknown format and RuntimeError when m4a is asked without ffmpeg."""
    path = Path(path)
    samples = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    if audio_format == "m4a":
        _write_m4a(path, samples, sample_rate)
        return path
    if audio_format not in SOUNDFILE_FORMATS:
        raise ValueError(f"unknown audio format {audio_format!r}; expected one of {AUDIO_FORMATS}")
    container, subtype = SOUNDFILE_FORMATS[audio_format]
    if audio_format == "opus" and sample_rate not in OPUS_SAMPLE_RATES:
        samples, sample_rate = _resample(samples, sample_rate, 48000), 48000
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with soundfile.SoundFile(
        str(path), "w", samplerate=sample_rate, channels=channels, format=container, subtype=subtype
    ) as audio:
        # In blocks: libsndfile 1.2's Vorbis encoder keeps a write's samples on the stack and
        # crashes the process (SIGSEGV) on a minute of stereo written at once.
        for start in range(0, len(samples), WRITE_BLOCK_FRAMES):
            audio.write(samples[start : start + WRITE_BLOCK_FRAMES])
    return path


def _write_m4a(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """AAC in an MP4 container through ffmpeg (libsndfile has no AAC encoder)."""
    if not ffmpeg_available():
        raise RuntimeError("writing m4a needs ffmpeg, which is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "source.wav"
        soundfile.write(wav, samples, sample_rate, format="WAV", subtype="FLOAT")
        command = [FFMPEG, "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "160k", str(path)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def truncated_copy(source: Path, destination: Path, *, keep: float = 0.5) -> Path:
    """The first ``keep`` share of ``source``'s bytes (an interrupted download or copy)."""
    data = Path(source).read_bytes()
    Path(destination).write_bytes(data[: int(len(data) * keep)])
    return Path(destination)


def broken_files(directory: Path, *, rng: np.random.Generator, sources: Sequence[Path] = ()) -> list[Path]:
    """Files a library scan meets and analysis must refuse with a reason: a text file named .mp3,
    a zero-length file, random bytes, and a truncated copy of each of ``sources``."""
    directory = Path(directory)
    text = directory / "notes.mp3"
    text.write_text("This is a shopping list, not a song.\n" * 20)
    empty = directory / "empty.flac"
    empty.write_bytes(b"")
    noise = directory / "random.mp3"
    noise.write_bytes(rng.bytes(64_000))
    truncated = [
        truncated_copy(source, directory / f"truncated-{Path(source).name}", keep=0.4) for source in sources
    ]
    return [text, empty, noise, *truncated]
