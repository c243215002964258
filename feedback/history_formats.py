"""Listening-history files from other services, read as a stream of plays (no Django imports).

Three formats, each streamed so a 100 MB file is read in bounded memory:

- ``spotify``: Spotify's "extended streaming history" — JSON files (``Streaming_History_Audio_*
  .json``, each a list of plays), or the ZIP they come in. Parsed item by item with ijson.
- ``listenbrainz``: a ListenBrainz export — JSON lines, one listen a line (``listened_at``,
  ``track_metadata``), plain or inside the export ZIP (``listens/YYYY/M.jsonl``).
- ``lastfm``: Last.fm scrobbles as CSV — with a header (``uts,utc_time,artist,artist_mbid,album,
  album_mbid,track,track_mbid``, the usual export tools' columns) or without (``artist,album,
  track,date``).

A file that is not the format asked for raises ``HistoryFormatError`` naming the file and what is
wrong before anything is yielded from it; a bad row inside a good file is reported as a
``RowProblem`` (line or item number and reason) and skipped. Podcast episodes are not music and
are left out silently.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import ijson

from config.bounded_json import MAX_DEPTH, JSONTooDeep, json_loads_bounded

FORMATS = ("spotify", "listenbrainz", "lastfm")
ZIP_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 64
# A line of a JSON-lines or CSV history is one listen: a few hundred bytes. Longer lines are
# refused before they are held in memory whole.
MAX_LINE_BYTES = 64 * 1024
# ZIP uploads: what they may inflate to in total, and how much more than their compressed size
# (JSON histories compress about 10:1; a bomb 100s:1). Members under RATIO_FLOOR_BYTES are never
# refused for their ratio: tiny files of repeated rows compress very well and harm no one.
ZIP_MAX_INFLATED_BYTES = 1024 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FLOOR_BYTES = 1024 * 1024
LASTFM_DATE_FORMATS = ("%d %b %Y %H:%M", "%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


class HistoryFormatError(ValueError):
    """The file is not the history format asked for; the message says which file and why."""


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


@dataclass(frozen=True)
class RowProblem:
    where: str  # "file.json item 12", "listens.jsonl line 3"
    reason: str


Parsed = Play | RowProblem


@dataclass(frozen=True)
class ZipLimits:
    max_inflated_bytes: int = ZIP_MAX_INFLATED_BYTES
    max_ratio: int = ZIP_MAX_RATIO


def history_read(
    handle: IO[bytes], *, history_format: str, name: str, zip_limits: ZipLimits | None = None
) -> Iterator[Parsed]:
    """Plays (and row problems) from one uploaded file, ZIP or not, in file order.

    Bounded in memory whatever the input: JSON deeper than MAX_DEPTH, lines longer than
    MAX_LINE_BYTES and ZIPs past ``zip_limits`` raise HistoryFormatError saying so.
    """
    if history_format not in FORMATS:
        raise HistoryFormatError(f"Unknown history format “{history_format}”; use {', '.join(FORMATS)}.")
    head = handle.read(4)
    handle.seek(0)
    if head == ZIP_MAGIC:
        yield from _zip_members(
            handle, history_format=history_format, name=name, limits=zip_limits or ZipLimits()
        )
        return
    yield from READERS[history_format](handle, name)


def _zip_members(handle: IO[bytes], *, history_format: str, name: str, limits: ZipLimits) -> Iterator[Parsed]:
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as error:
        raise HistoryFormatError(f"{name}: not a readable ZIP ({error}).") from error
    wanted = [member for member in archive.infolist() if _member_wanted(member.filename, history_format)]
    if not wanted:
        expected = {"spotify": "Streaming_History_Audio_*.json", "listenbrainz": "*.jsonl", "lastfm": "*.csv"}
        raise HistoryFormatError(
            f"{name}: the ZIP holds no {history_format} history files (expected {expected[history_format]})."
        )
    _zip_limits_check(wanted, name=name, limits=limits)
    with archive:
        for member in wanted:
            # zipfile never inflates a member past the size its header declares (checked above).
            with archive.open(member) as inner:
                yield from READERS[history_format](inner, f"{name}:{member.filename}")


def _zip_limits_check(members: list[zipfile.ZipInfo], *, name: str, limits: ZipLimits) -> None:
    """Refuse a ZIP bomb from its directory, before inflating anything."""
    inflated = sum(member.file_size for member in members)
    if inflated > limits.max_inflated_bytes:
        raise HistoryFormatError(
            f"{name}: the ZIP's history files inflate to {inflated:,} bytes; at most "
            f"{limits.max_inflated_bytes:,} are accepted. Upload the files in several parts."
        )
    for member in members:
        ratio = member.file_size / max(1, member.compress_size)
        if member.file_size > ZIP_RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            raise HistoryFormatError(
                f"{name}: {member.filename} inflates {ratio:,.0f}:1 ({member.compress_size:,} bytes to "
                f"{member.file_size:,}); at most {limits.max_ratio}:1 is accepted (a ZIP bomb?)."
            )


def _member_wanted(filename: str, history_format: str) -> bool:
    base = filename.rsplit("/", 1)[-1]
    if base.startswith(".") or filename.startswith("__MACOSX"):
        return False
    if history_format == "spotify":
        # Video history shares the format but holds no tracks.
        return base.endswith(".json") and "Video" not in base
    return base.endswith(".jsonl" if history_format == "listenbrainz" else ".csv")


# --- Spotify ------------------------------------------------------------------------------------


def _spotify(handle: IO[bytes], name: str) -> Iterator[Parsed]:
    head = handle.read(SNIFF_BYTES)
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        raise HistoryFormatError(f"{name}: not a Spotify streaming history (a JSON list of plays).")
    items = _json_list_items(_Rejoined(head, handle), name)
    number = 0
    try:
        for number, row in enumerate(items, start=1):
            if not isinstance(row, dict):
                yield RowProblem(f"{name} item {number}", "not an object")
                continue
            play = _spotify_play(row)
            if play is None:
                if row.get("episode_name") or row.get("spotify_episode_uri"):
                    continue  # podcasts are not music
                yield RowProblem(f"{name} item {number}", "no track name, artist or timestamp")
                continue
            yield _nul_checked(play, f"{name} item {number}")
    except ijson.JSONError as error:
        if number == 0:
            raise HistoryFormatError(
                f"{name}: not a Spotify streaming history (a JSON list of plays): {error}"
            ) from error
        yield RowProblem(f"{name} after item {number}", f"the file is cut short or broken: {error}")


_OPENS = ("start_map", "start_array")
_CLOSES = ("end_map", "end_array")


def _json_list_items(stream: _Rejoined, name: str) -> Iterator[Any]:
    """The items of a top-level JSON list, one at a time, refusing nesting past MAX_DEPTH.

    Built from ijson's basic events rather than ``ijson.items``, whose per-level prefix strings
    make a deeply nested file cost memory quadratic in its depth.
    """
    depth = 0
    builder: ijson.ObjectBuilder | None = None
    for event, value in ijson.basic_parse(stream, use_float=True):
        if event in _OPENS:
            depth += 1
            if depth > MAX_DEPTH:
                raise HistoryFormatError(
                    f"{name}: JSON nested more than {MAX_DEPTH} levels deep; not a Spotify streaming "
                    "history (a list of plays)."
                )
            if depth == 1:
                continue  # the list itself
        elif depth == 1 and event == "end_array":
            return
        if builder is None:
            builder = ijson.ObjectBuilder()
        builder.event(event, value)
        if event in _CLOSES:
            depth -= 1
        if depth == 1:
            yield builder.value
            builder = None


def _spotify_play(row: dict[str, Any]) -> Play | None:
    """One play from an export row; None for podcasts, videos and rows without a track.

    Reads the extended history's fields (``ts``, ``master_metadata_*``, ``ms_played``) and the
    older account-data ones (``endTime``, ``trackName``, ``artistName``, ``msPlayed``).
    """
    track = row.get("master_metadata_track_name") or row.get("trackName")
    artist = row.get("master_metadata_album_artist_name") or row.get("artistName")
    if not track or not artist:
        return None
    ts = _timestamp(row.get("ts") or row.get("endTime"))
    if ts is None:
        return None
    return Play(
        ts=ts,
        ms_played=_non_negative_int(row.get("ms_played", row.get("msPlayed", 0))),
        track_name=str(track),
        artist_name=str(artist),
        album_name=str(row.get("master_metadata_album_album_name") or ""),
        spotify_track_uri=str(row.get("spotify_track_uri") or ""),
        reason_end=str(row.get("reason_end") or ""),
        skipped=bool(row.get("skipped")),
        isrc=str(row.get("isrc") or ""),
        musicbrainz_recording_id=str(row.get("musicbrainz_recording_id") or ""),
    )


def _nul_checked(play: Play, where: str) -> Parsed:
    """A play whose text holds a NUL character (PostgreSQL text cannot) is a row problem."""
    texts = (play.track_name, play.artist_name, play.album_name, play.spotify_track_uri, play.reason_end)
    if any("\x00" in text for text in (*texts, play.isrc, play.musicbrainz_recording_id)):
        return RowProblem(where, "a NUL character in a name")
    return play


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _non_negative_int(value: Any) -> int:
    """A count from an export's field: 0 when missing, negative or not a number."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


class _Rejoined:
    """A stream read again from its start: the bytes already sniffed, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size < 0:
            data, self.head = self.head + self.rest.read(), b""
            return data
        data, self.head = self.head[:size], self.head[size:]
        return data


# --- ListenBrainz --------------------------------------------------------------------------------


@contextmanager
def _text(handle: IO[bytes], *, encoding: str) -> Iterator[io.TextIOWrapper]:
    """The bytes as text, leaving ``handle`` open afterwards (a wrapper closes what it wraps)."""
    text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
    try:
        yield text
    finally:
        text.detach()


def _listenbrainz(handle: IO[bytes], name: str) -> Iterator[Parsed]:
    with _text(handle, encoding="utf-8") as text:
        yield from _listenbrainz_lines(text, name)


def _listenbrainz_lines(text: io.TextIOWrapper, name: str) -> Iterator[Parsed]:
    try:
        for number, line in enumerate(_bounded_lines(text, name), start=1):
            if not line.strip():
                continue
            where = f"{name} line {number}"
            try:
                listen = json_loads_bounded(line)
            except JSONTooDeep as error:
                if number == 1:
                    raise HistoryFormatError(f"{name}: not ListenBrainz JSON lines ({error}).") from error
                yield RowProblem(where, str(error))
                continue
            except json.JSONDecodeError as error:
                if number == 1:
                    raise HistoryFormatError(f"{name}: not ListenBrainz JSON lines ({error}).") from error
                yield RowProblem(where, f"not JSON ({error.msg})")
                continue
            yield _listenbrainz_play(listen, where)
    except UnicodeDecodeError as error:
        raise HistoryFormatError(f"{name}: not UTF-8 text ({error.reason}).") from error


def _bounded_lines(text: io.TextIOWrapper, name: str) -> Iterator[str]:
    """The text's lines, refusing one longer than MAX_LINE_BYTES before it is read whole."""
    number = 0
    while line := text.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise HistoryFormatError(
                f"{name}: line {number} is longer than {MAX_LINE_BYTES:,} characters; one listen a line "
                "is expected."
            )
        yield line


def _listenbrainz_play(listen: Any, where: str) -> Parsed:
    if not isinstance(listen, dict) or not isinstance(listen.get("track_metadata"), dict):
        return RowProblem(where, "no track_metadata")
    metadata = listen["track_metadata"]
    info = metadata.get("additional_info") or {}
    mapping = metadata.get("mbid_mapping") or {}
    track, artist = metadata.get("track_name"), metadata.get("artist_name")
    if not track or not artist:
        return RowProblem(where, "no track_name or artist_name")
    try:
        listened_at = datetime.fromtimestamp(int(listen["listened_at"]), tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return RowProblem(where, "no valid listened_at")
    spotify_id = str(info.get("spotify_id") or "")
    play = Play(
        ts=listened_at,
        ms_played=_non_negative_int(info.get("duration_ms")),
        track_name=str(track),
        artist_name=str(artist),
        album_name=str(metadata.get("release_name") or ""),
        spotify_track_uri=_spotify_uri(spotify_id),
        isrc=str(info.get("isrc") or ""),
        musicbrainz_recording_id=str(mapping.get("recording_mbid") or info.get("recording_mbid") or ""),
    )
    return _nul_checked(play, where)


def _spotify_uri(value: str) -> str:
    """``spotify:track:<id>`` from a URI or an open.spotify.com link."""
    if value.startswith("spotify:track:"):
        return value
    if "open.spotify.com/track/" in value:
        return "spotify:track:" + value.rsplit("/", 1)[-1].split("?", 1)[0]
    return ""


# --- Last.fm -------------------------------------------------------------------------------------


def _lastfm(handle: IO[bytes], name: str) -> Iterator[Parsed]:
    with _text(handle, encoding="utf-8-sig") as text:
        yield from _lastfm_rows(text, name)


def _lastfm_rows(text: io.TextIOWrapper, name: str) -> Iterator[Parsed]:
    try:
        reader = csv.reader(_bounded_lines(text, name))
        first = next(reader, None)
        if first is None:
            raise HistoryFormatError(f"{name}: the file is empty.")
        header = [column.strip().lower() for column in first]
        if {"artist", "track"} <= set(header):
            columns = header
        else:
            # No header: the first row must itself be a readable scrobble (artist, album, track, date).
            columns = ["artist", "album", "track", "date"]
            first_play = _lastfm_play(dict(zip(columns, first, strict=False)), f"{name} line 1")
            if len(first) < len(columns) or isinstance(first_play, RowProblem):
                raise HistoryFormatError(
                    f"{name}: not a Last.fm scrobbles CSV (expected the columns artist, album, track, date)."
                )
            yield first_play
        for row in reader:
            if any(cell.strip() for cell in row):
                yield _lastfm_play(dict(zip(columns, row, strict=False)), f"{name} line {reader.line_num}")
    except UnicodeDecodeError as error:
        raise HistoryFormatError(f"{name}: not UTF-8 text ({error.reason}).") from error
    except csv.Error as error:
        raise HistoryFormatError(f"{name}: not readable as CSV ({error}).") from error


def _lastfm_play(row: dict[str, str], where: str) -> Parsed:
    artist, track = (row.get("artist") or "").strip(), (row.get("track") or "").strip()
    if not artist or not track:
        return RowProblem(where, "no artist or track")
    played = _lastfm_time(row)
    if played is None:
        return RowProblem(where, "no readable date")
    play = Play(
        ts=played,
        ms_played=0,
        track_name=track,
        artist_name=artist,
        album_name=(row.get("album") or "").strip(),
        musicbrainz_recording_id=(row.get("track_mbid") or "").strip(),
    )
    return _nul_checked(play, where)


def _lastfm_time(row: dict[str, str]) -> datetime | None:
    uts = (row.get("uts") or "").strip()
    if uts.isdigit():
        # isdigit() also accepts "²" and numbers past the year 9999: such a row has no date.
        try:
            return datetime.fromtimestamp(int(uts), tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None
    text = (row.get("utc_time") or row.get("date") or "").strip()
    for pattern in LASTFM_DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


READERS = {"spotify": _spotify, "listenbrainz": _listenbrainz, "lastfm": _lastfm}
