"""Decoding a bounded excerpt of a music file (pure: no Django): libsndfile first, ffmpeg for the rest.

The excerpt is ``excerpt_seconds`` around the middle (the whole file when shorter), so time and
memory do not grow with the file's length. Every failure is an ``AnalysisError`` with a reason a
person can read.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import mutagen
import numpy as np
import soundfile  # type: ignore[import-untyped]

DEFAULT_EXCERPT_SECONDS = 60.0


FFMPEG = "ffmpeg"


# Libsndfile reads these itself; other types mutagen recognises (MP4/M4A, ASF…) go to ffmpeg.
LIBSNDFILE_TYPES = frozenset({"MP3", "FLAC", "OggVorbis", "OggOpus", "WAVE", "AIFF", "OggFLAC"})


class AnalysisError(Exception):
    """The file cannot be analysed; ``str(error)`` is a reason a person can read, one of:
    "not a file", "empty file (0 bytes)", "not an audio file", "empty audio (…)",
    "truncated: the audio stops at … s of …", "truncated or corrupt: <decoder message>",
    "corrupt <kind> file: …", "corrupt: …", "cannot decode <kind> audio: ffmpeg is not installed",
    "cannot analyse this audio: …"."""


@dataclass(frozen=True)
class Excerpt:
    """Decoded audio at the file's own rate, shaped (samples, channels), float32."""

    samples: np.ndarray
    sample_rate: int
    total_seconds: float
    start_seconds: float

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])


def excerpt_window(total_seconds: float, excerpt_seconds: float) -> tuple[float, float]:
    """(start, length) in seconds of the excerpt: centred, the whole file when it is shorter."""
    if total_seconds <= excerpt_seconds:
        return 0.0, total_seconds
    return (total_seconds - excerpt_seconds) / 2.0, excerpt_seconds


def read_excerpt(path: Path, *, excerpt_seconds: float = DEFAULT_EXCERPT_SECONDS) -> Excerpt:
    """Decode the excerpt ``analyse_file`` works on. Raises AnalysisError with a reason."""
    path = Path(path)
    if not path.is_file():
        raise AnalysisError("not a file")
    if path.stat().st_size == 0:
        raise AnalysisError("empty file (0 bytes)")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as libsndfile_error:
        return _read_excerpt_other(path, excerpt_seconds, libsndfile_error)
    if info.frames <= 0 or info.samplerate <= 0:
        raise AnalysisError("empty audio (no samples)")
    total_seconds = info.frames / info.samplerate
    if info.format == "MP3":
        total_seconds = _mp3_seconds(path) or total_seconds
    return _read_excerpt_soundfile(path, total_seconds, info.samplerate, excerpt_seconds)


def _mp3_seconds(path: Path) -> float | None:
    """An MP3's length as mutagen reads it. Without a Xing/VBRI header libsndfile guesses the
    length from the file size, tags included: 600 kB of cover art made a 90 s file "128 s" and
    its excerpt "truncated". Mutagen skips the tags and reads the frame count when there is one."""
    try:
        tagged = mutagen.File(str(path))
    except Exception:  # noqa: BLE001 - a damaged header: fall back to libsndfile's figure
        return None
    length = getattr(getattr(tagged, "info", None), "length", None)
    return float(length) if length else None


def _read_excerpt_soundfile(
    path: Path, total_seconds: float, sample_rate: int, excerpt_seconds: float
) -> Excerpt:
    start_seconds, length_seconds = excerpt_window(total_seconds, excerpt_seconds)
    start_frame = int(start_seconds * sample_rate)
    wanted = int(length_seconds * sample_rate)
    try:
        with soundfile.SoundFile(str(path)) as audio:
            if start_frame:
                audio.seek(start_frame)
            samples = audio.read(wanted, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise AnalysisError(f"truncated or corrupt: {_libsndfile_reason(error)}") from error
    # Lossy decoders may stop a frame or so short of the header's count; more is a cut-off file.
    missing_seconds = (wanted - len(samples)) / sample_rate
    if missing_seconds > max(0.5, 0.02 * length_seconds):
        decoded = (start_frame + len(samples)) / sample_rate
        raise AnalysisError(
            f"truncated: the audio stops at {decoded:.1f} s of the {total_seconds:.1f} s its header announces"
        )
    if len(samples) == 0:
        raise AnalysisError("empty audio (no samples)")
    return Excerpt(_finite(samples), sample_rate, total_seconds, start_seconds)


def _libsndfile_reason(error: Exception) -> str:
    message = str(error).strip()
    return message.split("Error : ", 1)[-1] if "Error : " in message else message


def _finite(samples: np.ndarray) -> np.ndarray:
    """Float decoders can emit NaN or inf on damaged frames; those would poison every statistic."""
    if not np.all(np.isfinite(samples)):
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(samples, -4.0, 4.0)


def _read_excerpt_other(path: Path, excerpt_seconds: float, libsndfile_error: Exception) -> Excerpt:
    """Files libsndfile does not open: M4A/AAC and friends through ffmpeg; the rest is refused."""
    try:
        tagged = mutagen.File(str(path))
    except Exception:  # noqa: BLE001 - mutagen raises many types on garbage; all mean "not audio"
        tagged = None
    if tagged is None or getattr(tagged, "info", None) is None:
        raise AnalysisError("not an audio file")
    kind = type(tagged).__name__
    if kind in LIBSNDFILE_TYPES:
        raise AnalysisError(f"corrupt {kind} file: {_libsndfile_reason(libsndfile_error)}")
    total_seconds = float(getattr(tagged.info, "length", 0.0) or 0.0)
    if total_seconds <= 0:
        raise AnalysisError("empty audio (no duration)")
    if shutil.which(FFMPEG) is None:
        raise AnalysisError(f"cannot decode {kind} audio: ffmpeg is not installed")
    sample_rate = int(getattr(tagged.info, "sample_rate", 0) or 44100)
    channels = min(max(int(getattr(tagged.info, "channels", 0) or 2), 1), 2)
    start_seconds, length_seconds = excerpt_window(total_seconds, excerpt_seconds)
    samples = _ffmpeg_decode(path, start_seconds, length_seconds, sample_rate, channels)
    if len(samples) == 0:
        raise AnalysisError("truncated or corrupt: the decoder returned no audio")
    if (length_seconds - len(samples) / sample_rate) > max(0.5, 0.02 * length_seconds):
        decoded = start_seconds + len(samples) / sample_rate
        raise AnalysisError(f"truncated: the audio stops at {decoded:.1f} s of {total_seconds:.1f} s")
    return Excerpt(_finite(samples), sample_rate, total_seconds, start_seconds)


def _ffmpeg_decode(path: Path, start: float, seconds: float, sample_rate: int, channels: int) -> np.ndarray:
    command = [
        FFMPEG, "-v", "error", "-nostdin", "-ss", f"{start:.3f}", "-t", f"{seconds:.3f}", "-i", str(path),
        "-f", "f32le", "-ac", str(channels), "-ar", str(sample_rate), "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as error:
        raise AnalysisError("corrupt: decoding took longer than 120 s") from error
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise AnalysisError(f"corrupt: {reason[-1] if reason else 'ffmpeg could not decode it'}")
    usable = len(done.stdout) // (4 * channels) * 4 * channels
    return np.frombuffer(done.stdout[:usable], dtype="<f4").reshape(-1, channels).copy()
