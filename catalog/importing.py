"""Reading catalog files into track records: formats, column mapping, row validation.

Pure Python (no Django) so parsing is testable and fast; ``catalog.services`` writes the
records. Files are streamed: a row is read, validated and handed on, never held whole.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from catalog.features import AUDIO_FEATURE_RANGES, INTEGER_FEATURES
from config.bounded_json import InflatedTooLarge, JSONTooDeep, LimitedReader, json_loads_bounded

FORMATS = ("csv", "jsonl")
# One record a line: longer lines are refused before they are held in memory whole.
MAX_LINE_CHARS = 1024 * 1024
# A gzipped file may inflate to this many times its compressed size (at least GZIP_FLOOR_BYTES):
# catalog CSV compresses 5-10:1, a gzip bomb a thousand.
GZIP_MAX_RATIO = 100
GZIP_FLOOR_BYTES = 64 * 1024 * 1024
REQUIRED_FIELDS = ("source_id", "title", "artist")
OPTIONAL_FIELDS = (
    "album",
    "release_year",
    "duration_ms",
    "popularity",
    "explicit",
    "isrc",
    "musicbrainz_recording_id",
    "spotify_uri",
    "audio_url",
    "tags",
    *AUDIO_FEATURE_RANGES,
)
CANONICAL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
TAG_KINDS = ("genre", "mood", "theme", "instrument", "other")

# Column names looked for when --map does not name one (first match wins).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "source_id": ("source_id", "id", "track_id"),
    "title": ("title", "name", "track_name", "track_title"),
    "artist": ("artist", "artists", "artist_name", "track_artist"),
    "album": ("album", "album_name", "track_album_name"),
    "release_year": ("release_year", "year", "release_date", "track_album_release_date"),
    "popularity": ("popularity", "track_popularity"),
}
ARTIST_SEPARATOR = ";"
TAG_SEPARATORS = re.compile(r"[;,|]")
YEAR_PATTERN = re.compile(r"^\s*(\d{4})")
ISRC_PATTERN = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "f", ""})
MAX_TITLE_LENGTH = 500


class ImportFileError(Exception):
    """The file as a whole cannot be imported (format, encoding, columns, emptiness)."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class MissingColumnsError(ImportFileError):
    def __init__(self, missing: Iterable[str], available: Iterable[str]) -> None:
        missing = list(missing)
        super().__init__(
            f"Missing required column(s): {', '.join(missing)}. "
            f"Columns in the file: {', '.join(_printable(name) for name in available) or '(none)'}. "
            "Use --map field=column.",
            exit_code=2,
        )
        self.missing = missing


def _printable(text: str) -> str:
    """A column name as it can be shown and stored: control characters (a binary file read as
    CSV) escaped, since PostgreSQL text cannot hold a NUL."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class RowError(Exception):
    """One row cannot be imported; the message says why."""


@dataclass
class TrackRecord:
    source_id: str
    title: str
    artists: list[str]
    line_number: int = 0
    album: str = ""
    release_year: int | None = None
    duration_ms: int | None = None
    popularity: int | None = None
    explicit: bool = False
    isrc: str = ""
    musicbrainz_recording_id: str | None = None
    spotify_uri: str = ""
    audio_url: str = ""
    # (kind, name) pairs; names lower-case.
    tags: set[tuple[str, str]] = field(default_factory=set)
    features: dict[str, float | int | None] = field(default_factory=dict)

    def merge(self, other: TrackRecord) -> None:
        """Fold another row of the same track into this one: tags united, blanks filled."""
        self.tags |= other.tags
        for name in ("album", "isrc", "spotify_uri", "audio_url"):
            if not getattr(self, name):
                setattr(self, name, getattr(other, name))
        for name in ("release_year", "duration_ms", "popularity", "musicbrainz_recording_id"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))
        for feature, value in other.features.items():
            if self.features.get(feature) is None:
                self.features[feature] = value


@dataclass(frozen=True)
class TagColumn:
    column: str
    kind: str


@dataclass(frozen=True)
class ImportSpec:
    """How to read one file: its format, which column feeds which field, tag columns, source."""

    file_format: str
    column_map: dict[str, str] = field(default_factory=dict)
    tag_columns: tuple[TagColumn, ...] = ()
    source: str = "import"


# --- options ---------------------------------------------------------------------------


def parse_column_map(text: str | None) -> dict[str, str]:
    """Parse ``title=track_name,artist=track_artist`` into {field: column}."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ImportFileError(f"Bad column map entry {part!r}: expected field=column.", exit_code=2)
        name, column = (piece.strip() for piece in part.split("=", 1))
        if name not in CANONICAL_FIELDS:
            raise ImportFileError(
                f"Unknown field {name!r} in the column map. Known fields: {', '.join(CANONICAL_FIELDS)}.",
                exit_code=2,
            )
        mapping[name] = column
    return mapping


def parse_tag_columns(text: str | Iterable[str] | None) -> tuple[TagColumn, ...]:
    """Parse ``playlist_genre:genre,mood_col:mood`` (kind defaults to genre)."""
    if not text:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    columns = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        column, _, kind = part.partition(":")
        kind = kind.strip() or "genre"
        if kind not in TAG_KINDS:
            raise ImportFileError(
                f"Unknown tag kind {kind!r} for column {column!r}; use one of {', '.join(TAG_KINDS)}.",
                exit_code=2,
            )
        columns.append(TagColumn(column=column.strip(), kind=kind))
    return tuple(columns)


def detect_format(path: Path | str, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise ImportFileError(
                f"Unknown format {explicit!r}; use one of {', '.join(FORMATS)}.", exit_code=2
            )
        return explicit
    name = str(path).lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise ImportFileError(
        f"Cannot tell the format of {Path(path).name}; pass --format csv or jsonl.", exit_code=2
    )


# --- reading ---------------------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """Wraps a binary file and counts the bytes read, for progress on the compressed size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)


def open_text(binary: IO[bytes], name: str, *, compressed_bytes: int | None = None) -> IO[str]:
    """Text view of a (possibly gzipped) binary stream; undecodable bytes raise ImportFileError.

    Given the file's ``compressed_bytes``, a gzip inflating past GZIP_MAX_RATIO times that raises
    ImportFileError while it is read.
    """
    stream: Any
    if name.lower().endswith(".gz"):
        stream = gzip.GzipFile(fileobj=binary)
        if compressed_bytes:
            limit = max(GZIP_FLOOR_BYTES, compressed_bytes * GZIP_MAX_RATIO)
            stream = io.BufferedReader(LimitedReader(stream, limit=limit, what=f"The gzip file {name}"))
    else:
        stream = io.BufferedReader(binary)
    return io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="")


@dataclass(frozen=True)
class ParsedRow:
    line_number: int
    record: TrackRecord | None = None
    error: str = ""


def read_records(text: IO[str], spec: ImportSpec) -> Iterator[ParsedRow]:
    """Yield each row of the file as a record or an error, with its 1-based line number.

    Whole-file problems (bad encoding, empty file, missing required or tag columns) raise
    ImportFileError before or while reading, so a caller can refuse the file as a whole.
    """
    try:
        rows = _iter_csv(text) if spec.file_format == "csv" else _iter_jsonl(text)
        columns: dict[str, str] | None = None
        for line_number, raw, header in rows:
            if columns is None and "__error__" not in raw:
                columns = resolve_columns(header, spec.column_map)
                if spec.file_format == "jsonl":
                    # JSON lines leave out empty fields, so later rows may carry keys the first lacks.
                    for name in CANONICAL_FIELDS:
                        columns.setdefault(name, spec.column_map.get(name, name))
                _check_tag_columns(header, spec.tag_columns, strict_presence=spec.file_format == "csv")
            try:
                record = parse_row(raw, line_number=line_number, columns=columns or {}, spec=spec)
            except RowError as exc:
                yield ParsedRow(line_number=line_number, error=str(exc))
            else:
                yield ParsedRow(line_number=line_number, record=record)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not valid UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8."
        ) from exc
    except (gzip.BadGzipFile, EOFError) as exc:
        raise ImportFileError(f"The file is not a valid gzip file: {exc}.") from exc
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV: {exc}.") from exc
    except InflatedTooLarge as exc:
        raise ImportFileError(f"{exc} (at most {GZIP_MAX_RATIO}:1 is accepted).") from exc


def _check_tag_columns(
    header: list[str], tag_columns: tuple[TagColumn, ...], *, strict_presence: bool
) -> None:
    missing = [tag.column for tag in tag_columns if tag.column not in header]
    if missing and strict_presence:
        raise ImportFileError(
            f"Tag column(s) not in the file: {', '.join(missing)}. Columns in the file: {', '.join(header)}.",
            exit_code=2,
        )


def _bounded_lines(text: IO[str]) -> Iterator[str]:
    """The text's lines, refusing one longer than MAX_LINE_CHARS before it is read whole."""
    number = 0
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ImportFileError(
                f"Line {number} is longer than {MAX_LINE_CHARS:,} characters; one track a line is expected."
            )
        yield line


def _iter_csv(text: IO[str]) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
    reader = csv.DictReader(_bounded_lines(text))
    header = reader.fieldnames
    if not header:
        raise ImportFileError("The file is empty.")
    header = [name.strip() for name in header]
    reader.fieldnames = header
    saw_row = False
    for row in reader:
        saw_row = True
        if None in row:
            extra = len(row[None])
            yield (
                reader.line_num,
                {"__error__": RowError(f"{extra} more value(s) than there are columns")},
                header,
            )
            continue
        yield reader.line_num, row, header
    if not saw_row:
        # A header alone still has its columns checked, so a wrong file says so.
        resolve_columns(header, {})
        raise ImportFileError("The file has a header but no rows.")


def _iter_jsonl(text: IO[str]) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
    header: list[str] | None = None
    for line_number, line in enumerate(_bounded_lines(text), start=1):
        if not line.strip():
            continue
        try:
            value = json_loads_bounded(line)
        except JSONTooDeep as exc:
            yield line_number, {"__error__": RowError(str(exc))}, header or []
            continue
        except json.JSONDecodeError as exc:
            yield line_number, {"__error__": RowError(f"invalid JSON ({exc.msg})")}, header or []
            continue
        if not isinstance(value, dict):
            yield line_number, {"__error__": RowError("a line must hold a JSON object")}, header or []
            continue
        if header is None:
            header = list(value)
        yield line_number, value, header
    if header is None:
        raise ImportFileError("The file is empty.")


# --- columns and rows --------------------------------------------------------------------


def resolve_columns(available: Iterable[str], column_map: dict[str, str]) -> dict[str, str]:
    """Map each canonical field to the column that feeds it; missing required ones fail."""
    available = list(available)
    present = set(available)
    resolved: dict[str, str] = {}
    missing_mapped = [
        f"{name} (mapped to {column!r})" for name, column in column_map.items() if column not in present
    ]
    for name in CANONICAL_FIELDS:
        if name in column_map:
            if column_map[name] in present:
                resolved[name] = column_map[name]
            continue
        for candidate in COLUMN_ALIASES.get(name, (name,)):
            if candidate in present:
                resolved[name] = candidate
                break
    missing = [name for name in REQUIRED_FIELDS if name not in resolved and name not in column_map]
    if missing or missing_mapped:
        raise MissingColumnsError(missing + missing_mapped, available)
    return resolved


def _text(value: Any) -> str:
    if value is None:
        return ""
    # PostgreSQL text cannot hold NUL bytes; they carry no meaning in catalog data.
    return str(value).replace("\x00", "").strip()


def _number(field_name: str, value: Any, *, integer: bool = False) -> float | int | None:
    text = _text(value)
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowError(f"{field_name} {text!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise RowError(f"{field_name} {text!r} is not a finite number")
    if integer:
        if not number.is_integer():
            raise RowError(f"{field_name} {text!r} is not a whole number")
        return int(number)
    return number


def _feature(name: str, value: Any) -> float | int | None:
    number = _number(name, value, integer=name in INTEGER_FEATURES)
    if number is None:
        return None
    low, high = AUDIO_FEATURE_RANGES[name]
    if not low <= number <= high:
        raise RowError(f"{name} {number:g} is outside {low:g}..{high:g}")
    return number


def _year(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    match = YEAR_PATTERN.match(text)
    if not match:
        raise RowError(f"release year {text!r} does not start with a 4-digit year")
    year = int(match.group(1))
    if not 1000 <= year <= 2100:
        raise RowError(f"release year {year} is outside 1000..2100")
    return year


def _boolean(field_name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise RowError(f"{field_name} {text!r} is not true/false")


def _split_tags(value: Any, default_kind: str) -> set[tuple[str, str]]:
    """Tags from a cell: a list (JSON) or a string split on ; , |; 'kind:name' sets the kind."""
    items = value if isinstance(value, list) else TAG_SEPARATORS.split(_text(value))
    tags = set()
    for item in items:
        text = _text(item).lower()
        if not text:
            continue
        kind, sep, name = text.partition(":")
        if sep and kind in TAG_KINDS and name.strip():
            tags.add((kind, name.strip()[:100]))
        else:
            tags.add((default_kind, text[:100]))
    return tags


def _artists(value: Any) -> list[str]:
    items = value if isinstance(value, list) else _text(value).split(ARTIST_SEPARATOR)
    names: list[str] = []
    for item in items:
        name = _text(item)[:300]
        if name and name.lower() not in (existing.lower() for existing in names):
            names.append(name)
    return names


def parse_row(
    raw: dict[str, Any], *, line_number: int, columns: dict[str, str], spec: ImportSpec
) -> TrackRecord:
    """Validate one raw row into a TrackRecord, or raise RowError saying why not."""
    if "__error__" in raw:
        raise raw["__error__"]

    def cell(name: str) -> Any:
        column = columns.get(name)
        return raw.get(column) if column else None

    source_id = _text(cell("source_id"))
    if not source_id:
        raise RowError("empty source id")
    title = _text(cell("title"))
    if not title:
        raise RowError("empty title")
    artists = _artists(cell("artist"))
    if not artists:
        raise RowError("empty artist")

    record = TrackRecord(
        source_id=source_id[:200],
        title=title[:MAX_TITLE_LENGTH],
        artists=artists,
        line_number=line_number,
        album=_text(cell("album"))[:500],
        release_year=_year(cell("release_year")),
        explicit=_boolean("explicit", cell("explicit")) if cell("explicit") is not None else False,
        audio_url=_text(cell("audio_url"))[:1000],
    )
    duration = _number("duration_ms", cell("duration_ms"), integer=True)
    if duration is not None and duration <= 0:
        raise RowError(f"duration_ms {duration} must be positive")
    record.duration_ms = duration  # type: ignore[assignment]
    popularity = _number("popularity", cell("popularity"), integer=True)
    if popularity is not None and not 0 <= popularity <= 100:
        raise RowError(f"popularity {popularity} is outside 0..100")
    record.popularity = popularity  # type: ignore[assignment]

    isrc = _text(cell("isrc")).upper().replace("-", "")
    if isrc and not ISRC_PATTERN.match(isrc):
        raise RowError(f"ISRC {isrc!r} is not 12 characters like USRC17607839")
    record.isrc = isrc
    mbid = _text(cell("musicbrainz_recording_id")).lower()
    if mbid and not UUID_PATTERN.match(mbid):
        raise RowError(f"MusicBrainz recording id {mbid!r} is not a UUID")
    record.musicbrainz_recording_id = mbid or None
    record.spotify_uri = _text(cell("spotify_uri"))[:100]
    if not record.spotify_uri and spec.source == "spotify":
        record.spotify_uri = f"spotify:track:{record.source_id}"

    for name in AUDIO_FEATURE_RANGES:
        record.features[name] = _feature(name, cell(name))

    record.tags = _split_tags(cell("tags"), "other")
    for tag_column in spec.tag_columns:
        record.tags |= _split_tags(raw.get(tag_column.column), tag_column.kind)
    return record
