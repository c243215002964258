"""Walking a music folder: audio files in a sorted, deterministic order, never leaving the root.

The order is the sort order of the relative POSIX paths (``str`` comparison), so a scan that
stopped after a path can resume with ``walk_audio_files(root, after=that_path)`` and meet every
remaining file exactly once. Symbolic links are followed only when their target stays inside
the root; a directory reached twice (a loop, or two links to one folder) is walked once.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Lower-case extension -> (format name, Content-Type served for it).
AUDIO_FORMATS: dict[str, tuple[str, str]] = {
    ".mp3": ("mp3", "audio/mpeg"),
    ".flac": ("flac", "audio/flac"),
    ".ogg": ("ogg", "audio/ogg"),
    ".oga": ("ogg", "audio/ogg"),
    ".opus": ("opus", "audio/ogg; codecs=opus"),
    ".m4a": ("m4a", "audio/mp4"),
    ".mp4": ("m4a", "audio/mp4"),
    ".aac": ("aac", "audio/aac"),
    ".wav": ("wav", "audio/wav"),
    ".aif": ("aiff", "audio/aiff"),
    ".aiff": ("aiff", "audio/aiff"),
}


def is_audio_name(name: str) -> bool:
    return Path(name).suffix.lower() in AUDIO_FORMATS


def audio_format(name: str) -> tuple[str, str]:
    """(format, content type) of a file name with an audio extension."""
    return AUDIO_FORMATS[Path(name).suffix.lower()]


@dataclass(frozen=True)
class FoundFile:
    """An audio file under the root: its relative POSIX path, size and mtime (of the target)."""

    path: str
    size: int
    mtime: float


class RootError(Exception):
    """The root folder is missing, not a folder or unreadable."""


def root_check(root: Path) -> Path:
    """The resolved root, or RootError with a reason a person can act on."""
    if not root.is_absolute():
        raise RootError(f"{root} is not an absolute path.")
    if not root.exists():
        raise RootError(f"{root} does not exist.")
    if not root.is_dir():
        raise RootError(f"{root} is not a folder.")
    if not os.access(root, os.R_OK | os.X_OK):
        raise RootError(f"{root} cannot be read by this process.")
    return root.resolve()


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def walk_audio_files(root: Path, *, after: str = "") -> Iterator[FoundFile]:
    """Every audio file under ``root`` whose relative path sorts after ``after``, in order.

    Unreadable subfolders are skipped silently (the caller sees fewer files, never an error);
    a file that vanishes while walking is skipped.
    """
    resolved_root = root_check(root)
    visited: set[tuple[int, int]] = set()
    yield from _walk_dir(resolved_root, "", resolved_root, after, visited)


def _walk_dir(
    directory: Path, prefix: str, root: Path, after: str, visited: set[tuple[int, int]]
) -> Iterator[FoundFile]:
    try:
        info = directory.stat()
    except OSError:
        return
    identity = (info.st_dev, info.st_ino)
    if identity in visited:
        return
    visited.add(identity)
    children: list[tuple[str, str, bool]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()  # follows links; checked against the root below
                except OSError:
                    continue
                # A folder sorts as "name/": every path inside it sorts exactly there.
                children.append((entry.name + "/" if is_dir else entry.name, entry.name, is_dir))
    except OSError:
        return
    for _, name, is_dir in sorted(children):
        relative = f"{prefix}{name}"
        path = directory / name
        try:
            if path.is_symlink() and not _inside(path.resolve(strict=True), root):
                continue
            stat = path.stat()
        except (OSError, RuntimeError):
            continue
        if is_dir:
            inner = f"{relative}/"
            # Done already when every path inside sorts before ``after``.
            if after > inner and not after.startswith(inner):
                continue
            yield from _walk_dir(path, inner, root, after, visited)
        elif is_audio_name(name) and stat_module.S_ISREG(stat.st_mode) and relative > after:
            yield FoundFile(path=relative, size=stat.st_size, mtime=stat.st_mtime)


def walk_count(root: Path) -> int:
    """How many audio files a full walk would yield (for progress totals)."""
    return sum(1 for _ in walk_audio_files(root))
