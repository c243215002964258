"""Audio analysis of one music file: tempo, key, loudness, energy, danceability and a sound vector.

Pure module (no Django). ``analyse_file`` decodes a bounded excerpt (``excerpt_seconds`` around
the middle, the whole file when shorter), so time and memory do not grow with the file's length:
a 60 s stereo excerpt at 48 kHz is 23 MB of float32, whatever the file.

What is measured, and how (constants are named below, next to their reasons):

- **tempo** (BPM): autocorrelation of an onset envelope (spectral flux of log-compressed mel
  magnitudes). The beat level (which octave) is the fastest strong periodicity of the *low and
  middle* bands (kick, snare, bass, chords: what listeners tap to), not of the whole spectrum,
  where hi-hats on eighths would double it. The period is then measured on the peak at 16, 8, 4
  or 2 beats, which makes it precise to a fraction of a percent. None under 5 s of audio.
- **key, mode**: constant-Q chroma from C3 up (below, kick drums and the bass's poorly resolved
  pitches blur it) of the harmonic part (median-filter harmonic/percussive separation, so drum
  hits do not vote), summed over the excerpt and correlated with the 24 rotations of Temperley's
  key profiles (Temperley 1999, "What's key for key?"); the best one wins, or None when no
  profile correlates ≥ 0.5 (drums alone, noise). (The older Krumhansl-Kessler profiles mistook
  minor keys for their parallel major far more often on harmonic-rich tones, whose fifth
  partial sounds a major third.)
- **loudness_lufs**: integrated loudness by ITU-R BS.1770-4 (pyloudnorm's K-weighting filters,
  gating as pyloudnorm does it, tested to agree) on the excerpt at the file's own sample rate and
  channel layout; None for silence. ``loudness`` is the same value clipped to the
  catalog's range (AUDIO_FEATURE_RANGES).
- **dynamic_range**: loudness range (LRA, EBU Tech 3342) of the excerpt in LU: the spread between
  the 10th and 95th percentiles of the gated 3 s short-term loudness.
- **energy, danceability** (0..1): documented composites of measurements (see ``_energy`` and
  ``_danceability``), weighted by what public Spotify data shows matters (loudness for energy,
  tempo for danceability); monotone in what they measure, but not fitted to Spotify's values,
  whose formulas are not published.
- **valence, acousticness, instrumentalness, speechiness, liveness**: not estimated (None). They
  need trained models and labelled audio we do not have; a constant would be a lie.
- **sound_vector**: 64 float32 numbers, unit length: timbre, harmony (key-relative, so two songs
  in different keys can still be alike) and rhythm statistics, each standardized by the constants
  in ``SOUND_VECTOR_LAYOUT`` and weighted so every group counts equally in a cosine.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import librosa
import mutagen
import numpy as np
import soundfile  # type: ignore[import-untyped]
from pyloudnorm.iirfilter import IIRfilter  # type: ignore[import-untyped]

from catalog.features import AUDIO_FEATURE_RANGES, AUDIO_FEATURES, SOUND_VECTOR_DIMENSIONS

ANALYSIS_SAMPLE_RATE = 22050  # Nyquist 11 kHz holds everything tempo, key and timbre need.
DEFAULT_EXCERPT_SECONDS = 60.0
N_FFT = 2048
ONSET_HOP = 256  # 11.6 ms frames: beat lags resolved to ~1 % before refinement
N_MELS = 128
N_MFCC = 13  # coefficients 1..13 (0 is overall level, which loudness already measures)
# Mel bands at or below this frequency make the "low and middle" onset envelope that decides the
# beat level: it keeps kick, snare body, bass and chord changes and leaves out cymbals and hats.
BEAT_BAND_MAX_HZ = 2500.0
ONSET_COMPRESSION = 100.0  # λ in log(1 + λ·magnitude) before the spectral flux
TEMPO_RANGE_BPM = (40.0, 240.0)  # where a beat level is searched for
# A faster periodicity is the beat when its autocorrelation is at least this share of the
# strongest one (a slower strong peak is then a bar or half-bar, not the beat).
BEAT_LEVEL_STRENGTH = 0.5
MIN_SECONDS_FOR_TEMPO = 5.0  # fewer than ~8 beats at 100 BPM: no honest tempo
MIN_SECONDS_FOR_KEY = 2.0
SHORT_TERM_SECONDS = 3.0  # EBU Tech 3342 short-term loudness window
SHORT_TERM_HOP_SECONDS = 0.1  # "at least 10 Hz" in Tech 3342
DANCE_TEMPO_BPM = 108.0  # see tempo_fit
SILENCE_RMS = 1e-5  # -100 dBFS: nothing to analyse
FFMPEG = "ffmpeg"

# Temperley's key profiles (Temperley 1999, "What's key for key? The Krumhansl-Schmuckler
# key-finding algorithm reconsidered", Music Perception 17(1)), tonic first.
MAJOR_PROFILE = np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0])
MINOR_PROFILE = np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])
CHROMA_LOWEST_NOTE = "C3"  # 131 Hz
CHROMA_OCTAVES = 5  # C3..B7, all below the 11 kHz Nyquist
CHROMA_HOP = 1024  # 46 ms: harmony changes far slower
SHAPE_FRAME_STEP = 4
# Below this correlation with the best key profile the chroma has no clear tonal centre (drums,
# noise, speech): key and mode stay unknown.
MIN_KEY_CORRELATION = 0.5

# Libsndfile reads these itself; other types mutagen recognises (MP4/M4A, ASF…) go to ffmpeg.
LIBSNDFILE_TYPES = frozenset({"MP3", "FLAC", "OggVorbis", "OggOpus", "WAVE", "AIFF", "OggFLAC"})


class AnalysisError(Exception):
    """The file cannot be analysed; ``str(error)`` is a reason a person can read, one of:
    "not a file", "empty file (0 bytes)", "not an audio file", "empty audio (…)",
    "truncated: the audio stops at … s of …", "truncated or corrupt: <decoder message>",
    "corrupt <kind> file: …", "corrupt: …", "cannot decode <kind> audio: ffmpeg is not installed",
    "cannot analyse this audio: …"."""


@dataclass(frozen=True, eq=False)
class AudioAnalysis:
    """What ``analyse_file`` measured. A field is None when it cannot be estimated honestly.

    Units: ``tempo`` in beats per minute; ``key`` a pitch class (0 = C … 11 = B); ``mode`` 1 major
    or 0 minor; ``loudness_lufs`` integrated LUFS (unclipped); ``loudness`` the same clipped to
    -60..5 (the catalog's ``loudness``); ``dynamic_range`` loudness range in LU; ``energy`` and
    ``danceability`` in 0..1; ``key_confidence`` the correlation (-1..1) of the chroma with the
    chosen key profile; ``sound_vector`` float32 of SOUND_VECTOR_DIMENSIONS, unit length (the
    last dimension is spare, always 0), None for silence. ``duration_ms`` is the whole file's;
    ``excerpt_start_seconds`` and ``excerpt_seconds`` say which part was analysed.
    """

    duration_ms: int
    sample_rate: int
    channels: int
    excerpt_start_seconds: float
    excerpt_seconds: float
    tempo: float | None
    key: int | None
    mode: int | None
    key_confidence: float | None
    loudness_lufs: float | None
    loudness: float | None
    dynamic_range: float | None
    energy: float | None
    danceability: float | None
    sound_vector: np.ndarray | None = field(repr=False)
    valence: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    speechiness: float | None = None
    liveness: float | None = None

    def features(self) -> dict[str, float | int | None]:
        """The catalog's audio features (AUDIO_FEATURES), None where not estimated."""
        return {name: getattr(self, name) for name in AUDIO_FEATURES}


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


# --------------------------------------------------------------------------- decoding


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


# --------------------------------------------------------------------------- loudness


def k_weighted_power(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-sample power of the K-weighted signal (BS.1770: pyloudnorm's high shelf then high
    pass), summed over channels with the BS.1770 gains (1.41 for the 4th and 5th, surround)."""
    shelf = IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf")
    high_pass = IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass")
    channel_gains = (1.0, 1.0, 1.0, 1.41, 1.41)
    power = np.zeros(len(samples), dtype=np.float64)
    for channel in range(min(samples.shape[1], len(channel_gains))):
        weighted = high_pass.apply_filter(shelf.apply_filter(samples[:, channel].astype(np.float64)))
        power += channel_gains[channel] * weighted**2
    return power


def _window_means(power: np.ndarray, window: int, hop: int) -> np.ndarray:
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, len(power) - window + 1, hop)
    return (cumulative[starts + window] - cumulative[starts]) / window


def _loudness(mean_square: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.asarray(-0.691 + 10 * np.log10(mean_square))


def integrated_loudness_of_power(power: np.ndarray, sample_rate: int) -> float | None:
    """BS.1770-4 gated integrated loudness (LUFS): 400 ms blocks overlapping by 75 %, absolute
    gate -70 LUFS, relative gate 10 LU below the absolutely gated mean. pyloudnorm's
    ``Meter.integrated_loudness`` computed once per block, vectorized, so the K-weighting is shared
    with the loudness range; it agrees with pyloudnorm to 0.001 LU except that only whole blocks
    count (pyloudnorm may add a last partial one). None under one block or when all is gated out."""
    block = int(0.4 * sample_rate)
    if len(power) < block:
        return None
    blocks = _window_means(power, block, int(0.1 * sample_rate))
    block_loudness = _loudness(blocks)
    above_absolute = blocks[block_loudness >= -70.0]
    if len(above_absolute) == 0:
        return None
    relative_gate = float(_loudness(above_absolute.mean())) - 10.0
    gated = blocks[(block_loudness > relative_gate) & (block_loudness >= -70.0)]
    return float(_loudness(gated.mean())) if len(gated) else None


def loudness_range_of_power(power: np.ndarray, sample_rate: int) -> float | None:
    """EBU Tech 3342 loudness range (LU): spread between the 10th and 95th percentiles of the 3 s
    short-term loudness (every 0.1 s), after a -70 LUFS absolute and a -20 LU relative gate.
    None under one 3 s window or when everything is gated out."""
    window = int(SHORT_TERM_SECONDS * sample_rate)
    if len(power) < window:
        return None
    short_term = _loudness(_window_means(power, window, int(SHORT_TERM_HOP_SECONDS * sample_rate)))
    above_absolute = short_term[short_term > -70.0]
    if len(above_absolute) == 0:
        return None
    relative_gate = float(_loudness(float(np.mean(10 ** ((above_absolute + 0.691) / 10))))) - 20.0
    gated = above_absolute[above_absolute > relative_gate]
    low, high = np.percentile(gated, [10, 95])
    return float(high - low)


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness (LUFS) of (samples, channels) at their own rate and layout."""
    return integrated_loudness_of_power(k_weighted_power(samples, sample_rate), sample_rate)


# --------------------------------------------------------------------------- spectral views


@dataclass(frozen=True)
class Spectra:
    """Everything computed from the mono 22.05 kHz excerpt that several features share."""

    magnitude: np.ndarray  # |STFT|, (bins, frames)
    mel_db: np.ndarray  # mel power in dB, (N_MELS, frames)
    onset_full: np.ndarray  # spectral flux over all mel bands, per frame
    onset_beat_band: np.ndarray  # spectral flux of the bands up to BEAT_BAND_MAX_HZ
    onset_high_band: np.ndarray  # spectral flux above BEAT_BAND_MAX_HZ
    chroma: np.ndarray  # constant-Q chroma of the harmonic part, (12, frames)
    frame_rate: float  # onset frames per second
    full_acf: np.ndarray  # autocorrelation of onset_full
    beat_band_acf: np.ndarray  # autocorrelation of onset_beat_band
    shape: SpectralShape


@dataclass(frozen=True)
class SpectralShape:
    """Per-frame spectral centroid, bandwidth and 85 % roll-off (Hz) and flatness (0..1)."""

    centroid: np.ndarray
    bandwidth: np.ndarray
    rolloff: np.ndarray
    flatness: np.ndarray


def spectral_shape(magnitude: np.ndarray) -> SpectralShape:
    """The classic timbre descriptors (as librosa defines them), on every SHAPE_FRAME_STEP-th
    frame: their means over a minute do not need 11 ms resolution, and this is 4x cheaper."""
    frames = magnitude[:, ::SHAPE_FRAME_STEP].astype(np.float64)
    frequencies = librosa.fft_frequencies(sr=ANALYSIS_SAMPLE_RATE, n_fft=N_FFT)[:, None]
    total = np.maximum(frames.sum(axis=0), 1e-12)
    centroid = (frequencies * frames).sum(axis=0) / total
    second_moment = (frequencies**2 * frames).sum(axis=0) / total
    bandwidth = np.sqrt(np.maximum(second_moment - centroid**2, 0.0))
    cumulative = np.cumsum(frames, axis=0)
    rolloff_bin = np.argmax(cumulative >= 0.85 * cumulative[-1], axis=0)
    power = np.maximum(frames**2, 1e-10)
    flatness = np.exp(np.mean(np.log(power), axis=0)) / np.mean(power, axis=0)
    return SpectralShape(centroid, bandwidth, frequencies[rolloff_bin, 0], flatness)


def spectra_of(mono: np.ndarray) -> Spectra:
    magnitude = np.abs(librosa.stft(mono, n_fft=N_FFT, hop_length=ONSET_HOP))
    mel_power = librosa.feature.melspectrogram(S=magnitude**2, sr=ANALYSIS_SAMPLE_RATE, n_mels=N_MELS)
    mel_db = librosa.power_to_db(mel_power, ref=np.max, top_db=80.0)
    # Spectral flux of log-compressed magnitude, log(1 + λ|X|) with |X| relative to the loudest
    # bin (Klapuri 1999; Böck & Widmer 2013). Unlike flux in dB it ignores the flicker of quiet
    # bands, e.g. a lossy codec's noise floor pumping with the hi-hats, which would otherwise
    # put the hats into the low bands and double the tempo. Split by band so the beat level can
    # be read from the low and middle bands alone.
    compressed = np.log1p(ONSET_COMPRESSION * np.sqrt(mel_power / max(float(mel_power.max()), 1e-20)))
    flux = np.maximum(0.0, np.diff(compressed, axis=1, prepend=compressed[:, :1]))
    band_hz = librosa.mel_frequencies(n_mels=N_MELS, fmax=ANALYSIS_SAMPLE_RATE / 2)
    low = band_hz <= BEAT_BAND_MAX_HZ
    chroma = harmonic_chroma(mono)
    onset_full, onset_beat_band = flux.mean(axis=0), flux[low].mean(axis=0)
    return Spectra(
        magnitude=magnitude,
        mel_db=mel_db,
        onset_full=onset_full,
        onset_beat_band=onset_beat_band,
        onset_high_band=flux[~low].mean(axis=0),
        chroma=chroma,
        frame_rate=ANALYSIS_SAMPLE_RATE / ONSET_HOP,
        full_acf=autocorrelation(onset_full),
        beat_band_acf=autocorrelation(onset_beat_band),
        shape=spectral_shape(magnitude),
    )


def harmonic_chroma(mono: np.ndarray) -> np.ndarray:
    """Chroma of the sustained (harmonic) part of the constant-Q spectrum: median-filter
    harmonic/percussive separation (Fitzgerald 2010) on the CQT leaves out drum hits, whose
    pitch-less energy (and a snare's tuned body) would otherwise pull the key."""
    bins_per_octave = 36
    constant_q = np.abs(
        librosa.cqt(
            mono,
            sr=ANALYSIS_SAMPLE_RATE,
            hop_length=CHROMA_HOP,
            fmin=librosa.note_to_hz(CHROMA_LOWEST_NOTE),
            n_bins=CHROMA_OCTAVES * bins_per_octave,
            bins_per_octave=bins_per_octave,
        )
    )
    # Kernels: 9 frames (0.4 s) along time keeps sustained notes, 9 bins (3 semitones) along
    # frequency keeps broadband hits.
    harmonic, _percussive = librosa.decompose.hpss(constant_q, kernel_size=(9, 9))
    return librosa.feature.chroma_cqt(
        C=harmonic,
        sr=ANALYSIS_SAMPLE_RATE,
        hop_length=CHROMA_HOP,
        fmin=librosa.note_to_hz(CHROMA_LOWEST_NOTE),
        bins_per_octave=bins_per_octave,
        n_octaves=CHROMA_OCTAVES,
    )


# --------------------------------------------------------------------------- tempo


def autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Unbiased, normalized autocorrelation (1.0 at lag 0) of a mean-removed envelope."""
    centred = envelope - envelope.mean()
    raw = librosa.autocorrelate(centred)
    unbiased = raw / np.arange(len(centred), 0, -1)
    return unbiased / unbiased[0] if unbiased[0] > 0 else np.zeros_like(unbiased)


def _peak_lags(acf: np.ndarray, shortest: int, longest: int) -> np.ndarray:
    inner = np.arange(max(shortest, 1), min(longest, len(acf) - 2) + 1)
    is_peak = (acf[inner] > acf[inner - 1]) & (acf[inner] >= acf[inner + 1]) & (acf[inner] > 0)
    return inner[is_peak]


def beat_period(beat_band_acf: np.ndarray, frame_rate: float) -> float | None:
    """The beat period in frames: the fastest strong periodicity that divides the strongest."""
    shortest = int(frame_rate * 60.0 / TEMPO_RANGE_BPM[1])
    longest = int(np.ceil(frame_rate * 60.0 / TEMPO_RANGE_BPM[0]))
    peaks = _peak_lags(beat_band_acf, shortest, longest)
    if len(peaks) == 0:
        return None
    strongest = int(peaks[np.argmax(beat_band_acf[peaks])])
    threshold = BEAT_LEVEL_STRENGTH * beat_band_acf[strongest]
    for lag in peaks:  # fastest first
        ratio = strongest / lag
        divides = abs(ratio - round(ratio)) < 0.04 * ratio
        if beat_band_acf[lag] >= threshold and divides:
            return float(lag)
    return float(strongest)


def _parabolic_peak(acf: np.ndarray, lag: int) -> float:
    """Sub-frame position of the peak at ``lag`` (parabola through three points)."""
    if lag <= 0 or lag >= len(acf) - 1:
        return float(lag)
    left, centre, right = acf[lag - 1], acf[lag], acf[lag + 1]
    denominator = left - 2 * centre + right
    return float(lag) if denominator >= 0 else float(lag + 0.5 * (left - right) / denominator)


def refine_period(acf: np.ndarray, period: float) -> float:
    """Measure the period on the peak near 16, 8, 4 or 2 beats (the longest the excerpt allows):
    a one-frame error there is a 16th, 8th… of a frame per beat."""
    for multiple in (16, 8, 4, 2, 1):
        expected = multiple * period
        if expected > len(acf) / 2:
            continue
        low = int(np.floor(expected * 0.97)) - 1
        high = int(np.ceil(expected * 1.03)) + 1
        lag = low + int(np.argmax(acf[low : high + 1]))
        return _parabolic_peak(acf, lag) / multiple
    return period


def estimate_tempo(spectra: Spectra) -> tuple[float | None, float]:
    """(BPM or None, pulse clarity 0..1: the full-band autocorrelation at the beat period)."""
    beat_band_acf = spectra.beat_band_acf
    period = beat_period(beat_band_acf, spectra.frame_rate)
    if period is None:
        return None, 0.0
    period = refine_period(beat_band_acf, period)
    tempo = 60.0 * spectra.frame_rate / period
    clarity = float(np.clip(spectra.full_acf[int(round(period))], 0.0, 1.0))
    return float(np.clip(tempo, *AUDIO_FEATURE_RANGES["tempo"])), clarity


# --------------------------------------------------------------------------- key


def key_scores(profile: np.ndarray) -> np.ndarray:
    """Correlation of a 12-bin pitch-class profile with each key: (2, 12), [mode][tonic] with
    mode 0 minor, 1 major."""
    scores = np.zeros((2, 12))
    for mode, template in ((1, MAJOR_PROFILE), (0, MINOR_PROFILE)):
        for tonic in range(12):
            scores[mode, tonic] = np.corrcoef(profile, np.roll(template, tonic))[0, 1]
    return np.nan_to_num(scores, nan=-1.0)


def estimate_key(chroma: np.ndarray) -> tuple[int | None, int | None, float | None, np.ndarray]:
    """(key, mode, correlation, pitch-class profile) from chroma; key/mode None when unclear."""
    profile = chroma.sum(axis=1)
    if profile.sum() <= 0 or np.ptp(profile) <= 1e-9 * profile.sum():
        return None, None, None, np.full(12, 1 / 12)
    profile = profile / profile.sum()
    scores = key_scores(profile)
    mode, tonic = np.unravel_index(int(np.argmax(scores)), scores.shape)
    best = float(scores[mode, tonic])
    if best < MIN_KEY_CORRELATION:
        return None, None, best, profile
    return int(tonic), int(mode), best, profile


# --------------------------------------------------------------------------- energy, danceability


def _energy(loudness_lufs: float | None, onset_rate: float, centroid_hz: float) -> float | None:
    """Perceived intensity, 0..1: half loudness, a quarter onset density, a quarter brightness.

    Loudness dominates because it is what listeners rate as energetic first: Spotify's own energy
    correlates 0.68 with its loudness over the 28,356 tracks of the TidyTuesday 2020 Spotify set
    (../shared/data). -35 LUFS maps to 0 and -5 LUFS to 1.
    Onset density: 0 to 8 onsets a second (sixteenths at 120 BPM). Brightness: spectral
    centroid from 500 Hz to 3.5 kHz."""
    if loudness_lufs is None:
        return None
    loud = np.clip((loudness_lufs + 35.0) / 30.0, 0.0, 1.0)
    dense = np.clip(onset_rate / 8.0, 0.0, 1.0)
    bright = np.clip((centroid_hz - 500.0) / 3000.0, 0.0, 1.0)
    return round(float(0.5 * loud + 0.25 * dense + 0.25 * bright), 4)


def tempo_fit(tempo: float) -> float:
    """How danceable a tempo is, 0..1: a Gaussian over log2(tempo) centred on DANCE_TEMPO_BPM with
    a 0.5-octave width. In the TidyTuesday 2020 Spotify set (28,356 tracks) Spotify's
    danceability is highest at 100-120 BPM (mean 0.69, against 0.56 under 80 and over 160 BPM);
    this curve correlates 0.32 with it there (centred on 120 BPM: 0.24)."""
    return float(np.exp(-0.5 * (math.log2(tempo / DANCE_TEMPO_BPM) / 0.5) ** 2))


def _danceability(tempo: float | None, pulse_clarity: float, bar_regularity: float) -> float | None:
    """0..1 from how clear the beat is (autocorrelation at the beat), how regular the bar is
    (autocorrelation at four beats) and how danceable the tempo is: 0.4, 0.3 and 0.3 of it."""
    if tempo is None:
        return None
    score = 0.4 * pulse_clarity + 0.3 * bar_regularity + 0.3 * tempo_fit(tempo)
    return round(float(np.clip(score, 0.0, 1.0)), 4)


# --------------------------------------------------------------------------- sound vector


@dataclass(frozen=True)
class FeatureGroup:
    """Standardization of one group of the sound vector: z = (x - centre) / scale, clipped to
    ±Z_CLIP, then the group is divided by sqrt(len) so each group weighs the same in a cosine."""

    name: str
    centres: np.ndarray
    scales: np.ndarray


Z_CLIP = 4.0
# Centres and scales are rough typical values of each statistic for music at 22.05 kHz with
# librosa's defaults (MFCCs of dB mel power; magnitudes fall with the coefficient's index), set
# by hand, not fitted to a corpus. They need not be exact: they put "ordinary" near the origin so
# the cosine compares what differs. Refitting them on a real library's statistics would sharpen
# "more like this" (changing them changes every vector: re-analyse).
_MFCC_MEAN_CENTRES = np.array([100.0] + [0.0] * (N_MFCC - 1))
_MFCC_MEAN_SCALES = np.array([40.0, 25.0, 20.0, 15.0] + [10.0] * (N_MFCC - 4))
_MFCC_STD_CENTRES = np.array([25.0, 15.0, 12.0, 10.0] + [8.0] * (N_MFCC - 4))
_MFCC_STD_SCALES = np.array([12.0, 8.0, 6.0, 5.0] + [4.0] * (N_MFCC - 4))
TIMBRE = FeatureGroup(
    "timbre",
    # MFCC 1..13 means, MFCC 1..13 stds, log2 centroid (Hz), centroid variation, log2 bandwidth,
    # log2 roll-off (85 %), log10 flatness, low-energy frame share
    centres=np.concatenate([_MFCC_MEAN_CENTRES, _MFCC_STD_CENTRES, [11.0, 0.5, 11.0, 12.0, -3.0, 0.55]]),
    scales=np.concatenate([_MFCC_MEAN_SCALES, _MFCC_STD_SCALES, [1.0, 0.3, 0.7, 1.0, 1.0, 0.15]]),
)
_TYPICAL_KEY_RELATIVE_PROFILE = (
    MAJOR_PROFILE / MAJOR_PROFILE.sum() + MINOR_PROFILE / MINOR_PROFILE.sum()
) / 2
HARMONY = FeatureGroup(
    "harmony",
    # key-relative chroma profile (12, tonic first), key correlation, major-minor margin,
    # profile entropy (bits), harmonic change (mean cosine distance between chroma frames 0.5 s apart)
    # (the profile's centre is the mean of the two key profiles: tonal music sits near it)
    centres=np.concatenate([_TYPICAL_KEY_RELATIVE_PROFILE, [0.6, 0.0, 3.4, 0.15]]),
    scales=np.concatenate([np.full(12, 0.03), [0.2, 0.1, 0.15, 0.1]]),
)
RHYTHM = FeatureGroup(
    "rhythm",
    # log2(tempo/120), pulse clarity, beat-band clarity, full-band autocorrelation at 1/4, 1/2,
    # 3/2, 2, 3 and 4 beats, log2 onset rate (/s), onset strength mean (log-compressed flux),
    # onset strength variation,
    # high-band share of flux, RMS variation (std of dB), tempo known (1/0)
    centres=np.array([0.0, 0.3, 0.3, 0.1, 0.2, 0.1, 0.3, 0.2, 0.3, 2.0, 0.03, 1.5, 0.4, 6.0, 1.0]),
    scales=np.array([0.5, 0.2, 0.2, 0.15, 0.2, 0.15, 0.2, 0.2, 0.2, 1.0, 0.02, 0.5, 0.2, 3.0, 0.5]),
)
SOUND_VECTOR_LAYOUT = (TIMBRE, HARMONY, RHYTHM)
_LAYOUT_DIMENSIONS = sum(len(group.centres) for group in SOUND_VECTOR_LAYOUT)
# The layout fills the first dimensions; the rest stay 0 (room to add statistics without a
# migration; zeros change no cosine).
assert _LAYOUT_DIMENSIONS <= SOUND_VECTOR_DIMENSIONS


def timbre_statistics(spectra: Spectra, rms_db: np.ndarray) -> np.ndarray:
    mfcc = librosa.feature.mfcc(S=spectra.mel_db, n_mfcc=N_MFCC + 1)[1:]
    shape = spectra.shape
    centroid, bandwidth, rolloff, flatness = shape.centroid, shape.bandwidth, shape.rolloff, shape.flatness
    low_energy_share = float(np.mean(rms_db < rms_db.mean()))
    return np.concatenate(
        [
            mfcc.mean(axis=1),
            mfcc.std(axis=1),
            [
                math.log2(max(float(centroid.mean()), 1.0)),
                float(centroid.std() / max(centroid.mean(), 1.0)),
                math.log2(max(float(bandwidth.mean()), 1.0)),
                math.log2(max(float(rolloff.mean()), 1.0)),
                math.log10(max(float(flatness.mean()), 1e-10)),
                low_energy_share,
            ],
        ]
    )


def harmony_statistics(chroma: np.ndarray, profile: np.ndarray, tonic: int | None) -> np.ndarray:
    relative = np.roll(profile, -(tonic or 0))
    scores = key_scores(profile)
    best = float(scores.max())
    margin = float(scores[1].max() - scores[0].max())
    entropy = float(-(profile * np.log2(np.maximum(profile, 1e-12))).sum())
    frames_half_second = max(int(0.5 * ANALYSIS_SAMPLE_RATE / CHROMA_HOP), 1)
    if chroma.shape[1] > frames_half_second:
        earlier, later = chroma[:, :-frames_half_second], chroma[:, frames_half_second:]
        norms = np.linalg.norm(earlier, axis=0) * np.linalg.norm(later, axis=0)
        cosine = (earlier * later).sum(axis=0) / np.maximum(norms, 1e-12)
        change = float(np.mean(1.0 - cosine))
    else:
        change = 0.0
    return np.concatenate([relative, [best, margin, entropy, change]])


def rhythm_statistics(
    spectra: Spectra, tempo: float | None, pulse_clarity: float, rms_db: np.ndarray, onset_rate: float
) -> np.ndarray:
    full_acf, beat_band_acf = spectra.full_acf, spectra.beat_band_acf

    def at_beats(acf: np.ndarray, beats: float) -> float:
        if tempo is None:
            return 0.0
        lag = int(round(beats * 60.0 / tempo * spectra.frame_rate))
        return float(acf[lag]) if 0 < lag < len(acf) else 0.0

    flux_total = spectra.onset_full.sum()
    high_share = float(spectra.onset_high_band.sum() / flux_total) if flux_total > 0 else 0.0
    return np.array(
        [
            math.log2(tempo / 120.0) if tempo else 0.0,
            pulse_clarity,
            at_beats(beat_band_acf, 1),
            *(at_beats(full_acf, beats) for beats in (0.25, 0.5, 1.5, 2, 3, 4)),
            math.log2(max(onset_rate, 0.25)),
            float(spectra.onset_full.mean()),
            float(spectra.onset_full.std() / max(spectra.onset_full.mean(), 1e-9)),
            high_share,
            float(rms_db.std()),
            1.0 if tempo else 0.0,
        ]
    )


def standardized(values: np.ndarray, group: FeatureGroup) -> np.ndarray:
    z = np.clip((values - group.centres) / group.scales, -Z_CLIP, Z_CLIP)
    return z / math.sqrt(len(z))


def sound_vector(timbre: np.ndarray, harmony: np.ndarray, rhythm: np.ndarray) -> np.ndarray:
    """The 64-dim unit vector: standardized groups side by side, zero-padded."""
    parts = [
        standardized(values, group)
        for values, group in zip((timbre, harmony, rhythm), SOUND_VECTOR_LAYOUT, strict=True)
    ]
    vector = np.zeros(SOUND_VECTOR_DIMENSIONS, dtype=np.float64)
    joined = np.concatenate(parts)
    vector[: len(joined)] = joined
    norm = np.linalg.norm(vector)
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def _onset_rate(spectra: Spectra) -> float:
    """Detected onsets per second (librosa's peak picker on the full-band flux)."""
    envelope = spectra.onset_full
    if envelope.max() <= 0:
        return 0.0
    onsets = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=ANALYSIS_SAMPLE_RATE, hop_length=ONSET_HOP, units="frames"
    )
    return len(onsets) / (len(envelope) / spectra.frame_rate)


# --------------------------------------------------------------------------- the whole analysis


def _clip_feature(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    low, high = AUDIO_FEATURE_RANGES[name]
    return float(np.clip(value, low, high))


@dataclass(frozen=True)
class MusicalFeatures:
    """What is measured on the mono 22.05 kHz signal (all None for silence)."""

    tempo: float | None = None
    key: int | None = None
    mode: int | None = None
    key_confidence: float | None = None
    energy: float | None = None
    danceability: float | None = None
    sound_vector: np.ndarray | None = None


def analysis_signal(excerpt: Excerpt) -> np.ndarray:
    """The excerpt as mono at ANALYSIS_SAMPLE_RATE."""
    mono = excerpt.samples.mean(axis=1)
    if excerpt.sample_rate != ANALYSIS_SAMPLE_RATE:
        mono = librosa.resample(mono, orig_sr=excerpt.sample_rate, target_sr=ANALYSIS_SAMPLE_RATE)
    return np.asarray(mono, dtype=np.float32)


def is_silent(mono: np.ndarray) -> bool:
    return len(mono) < N_FFT or float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))) < SILENCE_RMS


def bar_regularity(spectra: Spectra, tempo: float | None) -> float:
    """Full-band onset autocorrelation four beats apart: how alike successive bars are."""
    if tempo is None:
        return 0.0
    lag = int(round(4 * 60.0 / tempo * spectra.frame_rate))
    return float(np.clip(spectra.full_acf[lag], 0.0, 1.0)) if lag < len(spectra.full_acf) else 0.0


def musical_features(mono: np.ndarray, loudness_lufs: float | None) -> MusicalFeatures:
    spectra = spectra_of(mono)
    seconds = len(mono) / ANALYSIS_SAMPLE_RATE
    rms_db = librosa.amplitude_to_db(librosa.feature.rms(S=spectra.magnitude, frame_length=N_FFT)[0])
    tempo, pulse_clarity = estimate_tempo(spectra) if seconds >= MIN_SECONDS_FOR_TEMPO else (None, 0.0)
    key, mode, key_confidence, profile = estimate_key(spectra.chroma)
    if seconds < MIN_SECONDS_FOR_KEY:
        key = mode = None
    onset_rate = _onset_rate(spectra)
    return MusicalFeatures(
        tempo=None if tempo is None else round(tempo, 2),
        key=key,
        mode=mode,
        key_confidence=None if key_confidence is None else round(key_confidence, 4),
        energy=_energy(loudness_lufs, onset_rate, float(spectra.shape.centroid.mean())),
        danceability=_danceability(tempo, pulse_clarity, bar_regularity(spectra, tempo)),
        sound_vector=sound_vector(
            timbre_statistics(spectra, rms_db),
            harmony_statistics(spectra.chroma, profile, key),
            rhythm_statistics(spectra, tempo, pulse_clarity, rms_db, onset_rate),
        ),
    )


def analyse_excerpt(excerpt: Excerpt) -> AudioAnalysis:
    """Every feature of a decoded excerpt (see the module docstring for methods and units)."""
    power = k_weighted_power(excerpt.samples, excerpt.sample_rate)
    loudness_lufs = integrated_loudness_of_power(power, excerpt.sample_rate)
    dynamic_range = loudness_range_of_power(power, excerpt.sample_rate)
    del power
    mono = analysis_signal(excerpt)
    with warnings.catch_warnings():
        # librosa warns when a short file is shorter than a filter; the features say None instead.
        warnings.simplefilter("ignore", UserWarning)
        musical = MusicalFeatures() if is_silent(mono) else musical_features(mono, loudness_lufs)
    return AudioAnalysis(
        duration_ms=int(round(excerpt.total_seconds * 1000)),
        sample_rate=excerpt.sample_rate,
        channels=excerpt.channels,
        excerpt_start_seconds=round(excerpt.start_seconds, 3),
        excerpt_seconds=round(excerpt.seconds, 3),
        tempo=musical.tempo,
        key=musical.key,
        mode=musical.mode,
        key_confidence=musical.key_confidence,
        loudness_lufs=None if loudness_lufs is None else round(loudness_lufs, 2),
        loudness=_clip_feature("loudness", loudness_lufs),
        dynamic_range=None if dynamic_range is None else round(dynamic_range, 2),
        energy=musical.energy,
        danceability=musical.danceability,
        sound_vector=musical.sound_vector,
    )


def analyse_file(path: Path, *, excerpt_seconds: float = DEFAULT_EXCERPT_SECONDS) -> AudioAnalysis:
    """Analyse the audio file at ``path``. Raises AnalysisError (with a reason) for anything that
    is not decodable audio: not a file, empty, not audio, truncated, corrupt."""
    excerpt = read_excerpt(Path(path), excerpt_seconds=excerpt_seconds)
    try:
        return analyse_excerpt(excerpt)
    except (ValueError, librosa.util.exceptions.ParameterError) as error:
        # Degenerate signals (e.g. a few samples) trip librosa's parameter checks.
        raise AnalysisError(f"cannot analyse this audio: {error}") from error


def warm_up() -> None:
    """Run every numba-compiled path once on 6 s of synthetic sound, so the first real file does
    not pay the ~25 s of compilation (call it when a worker process starts)."""
    sample_rate = 44100
    time = np.arange(int(6 * sample_rate)) / sample_rate
    tone = 0.2 * np.sin(2 * np.pi * 220.0 * time) * (1 + np.sign(np.sin(2 * np.pi * 2 * time))) / 2
    samples = np.stack([tone, tone], axis=1).astype(np.float32)
    analyse_excerpt(Excerpt(samples, sample_rate, total_seconds=6.0, start_seconds=0.0))
