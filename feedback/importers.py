"""Spotify "extended streaming history" parser (no Django imports).

The export is a ZIP of JSON files (``Streaming_History_Audio_*.json``), each a list of plays
with ``ts``, ``ms_played``, ``master_metadata_track_name``, ``master_metadata_album_artist_name``,
``spotify_track_uri``, ``reason_end``, ``skipped``… Podcast episodes and plays without track
metadata are skipped; malformed files raise ``HistoryFormatError`` with the file name.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

MAX_FILE_BYTES = 200 * 1024 * 1024


class HistoryFormatError(ValueError):
    """The file is not a Spotify streaming history; the message says which file and why."""


@dataclass(frozen=True)
class Play:
    ts: datetime
    ms_played: int
    track_name: str
    artist_name: str
    album_name: str = ""
    spotify_track_uri: str = ""
    reason_end: str = ""
    skipped: bool = False
    isrc: str = ""
    musicbrainz_recording_id: str = ""

    @property
    def spotify_track_id(self) -> str:
        """The 22-character id of ``spotify:track:<id>``, or ""."""
        prefix = "spotify:track:"
        return self.spotify_track_uri[len(prefix) :] if self.spotify_track_uri.startswith(prefix) else ""


def parse_play(row: Any) -> Play | None:
    """One play from an export row; None for podcasts, videos and rows without a track."""
    if not isinstance(row, dict):
        return None
    track = row.get("master_metadata_track_name") or row.get("trackName")
    artist = row.get("master_metadata_album_artist_name") or row.get("artistName")
    if not track or not artist:
        return None
    ts = _timestamp(row.get("ts") or row.get("endTime"))
    if ts is None:
        return None
    return Play(
        ts=ts,
        ms_played=non_negative_int(row.get("ms_played", row.get("msPlayed", 0))),
        track_name=str(track),
        artist_name=str(artist),
        album_name=str(row.get("master_metadata_album_album_name") or ""),
        spotify_track_uri=str(row.get("spotify_track_uri") or ""),
        reason_end=str(row.get("reason_end") or ""),
        skipped=bool(row.get("skipped")),
        isrc=str(row.get("isrc") or ""),
        musicbrainz_recording_id=str(row.get("musicbrainz_recording_id") or ""),
    )


def parse_history_json(data: bytes | str, *, name: str = "history") -> list[Play]:
    try:
        rows = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HistoryFormatError(f"{name}: not valid JSON ({error})") from error
    if not isinstance(rows, list):
        raise HistoryFormatError(f"{name}: expected a list of plays")
    return [play for play in map(parse_play, rows) if play is not None]


def parse_history_files(paths: Iterable[str | Path]) -> list[Play]:
    """Plays from JSON files and/or ZIP exports, oldest first."""
    plays: list[Play] = []
    for path in map(Path, paths):
        with path.open("rb") as handle:
            plays.extend(parse_history_stream(handle, name=path.name))
    return sorted(plays, key=lambda play: play.ts)


def parse_history_stream(handle: BinaryIO, *, name: str) -> list[Play]:
    data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise HistoryFormatError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if data[:4] == b"PK\x03\x04":
        return list(_zip_plays(data, name=name))
    return parse_history_json(data, name=name)


def _zip_plays(data: bytes, *, name: str) -> Iterator[Play]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise HistoryFormatError(f"{name}: not a readable ZIP ({error})") from error
    with archive:
        for member in archive.infolist():
            inner = member.filename.rsplit("/", 1)[-1]
            # Audio history only: video files share the format but hold no tracks.
            if inner.endswith(".json") and "Video" not in inner and member.file_size <= MAX_FILE_BYTES:
                yield from parse_history_json(archive.read(member), name=f"{name}:{member.filename}")


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def non_negative_int(value: Any) -> int:
    """A count from an export's field: 0 when missing, negative or not a number."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
