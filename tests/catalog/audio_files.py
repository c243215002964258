"""Real audio files for streaming and player tests: a few seconds of sine, written by soundfile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from catalog.models import LibrarySource, MediaFile, Track

SAMPLE_RATE = 22_050
CONTENT_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}


def sine_write(path: Path, *, seconds: float, frequency: float = 440.0) -> Path:
    """A quiet sine tone (deterministic) in the format the suffix names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    times = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    soundfile.write(path, 0.2 * np.sin(2 * np.pi * frequency * times), SAMPLE_RATE)
    return path


def media_file_make(
    *, source: LibrarySource, track: Track, relative: str, duration_ms: int | None = None, **fields: object
) -> MediaFile:
    """A library row for a file (present or not) at ``relative`` under the source's root."""
    full = Path(source.root) / relative
    suffix = full.suffix.lstrip(".").lower()
    return MediaFile.objects.create(
        source=source,
        track=track,
        path=relative,
        size=full.stat().st_size if full.exists() else 0,
        mtime=full.stat().st_mtime if full.exists() else 0.0,
        audio_format=suffix,
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
        duration_ms=duration_ms,
        **fields,
    )
