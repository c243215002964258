"""Reading one audio file: its tags (mutagen), a cover thumbnail (Pillow) and a content hash.

``read_audio_file(path, relative_path)`` returns a ``FileTags`` or raises ``UnreadableFile`` with a
reason a person can act on (not audio, damaged, truncated). Formats: MP3 (ID3v2/ID3v1), FLAC,
Ogg Vorbis, Opus, M4A/MP4/AAC, WAV and AIFF (ID3 chunk).

A file without title or artist tags gets them from its path, ``Artist/Album/01 - Title.ext``,
and is marked ``tagged_from_path``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import mutagen
import soundfile  # type: ignore[import-untyped, unused-ignore]
from mutagen.flac import Picture
from PIL import Image, UnidentifiedImageError

from catalog.library.walk import audio_format

COVER_MAX_PIXELS = 256
COVER_JPEG_QUALITY = 80
# Embedded pictures larger than this are not decoded (a damaged or hostile file).
COVER_MAX_INPUT_BYTES = 16 * 1024 * 1024
HASH_CHUNK_BYTES = 64 * 1024
# A file whose decodable audio is this much shorter than its header says is truncated.
TRUNCATION_TOLERANCE = 0.9
# Formats libsndfile decodes, checked for truncation by reading near the end.
_SNDFILE_FORMATS = frozenset({"mp3", "flac", "ogg", "opus", "wav", "aiff"})


class UnreadableFile(Exception):
    """This file cannot be catalogued; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class FileTags:
    title: str
    artists: tuple[str, ...]
    album: str = ""
    album_artist: str = ""
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    genres: tuple[str, ...] = ()
    duration_ms: int | None = None
    bitrate: int | None = None
    sample_rate: int | None = None
    musicbrainz_recording_id: uuid.UUID | None = None
    musicbrainz_release_id: uuid.UUID | None = None
    musicbrainz_artist_ids: tuple[str, ...] = ()
    isrc: str = ""
    replaygain_track_gain: float | None = None
    replaygain_album_gain: float | None = None
    cover: bytes | None = field(default=None, repr=False)
    tagged_from_path: bool = False
    audio_format: str = ""
    content_type: str = ""


def content_hash(path: Path) -> str:
    """sha256 of the size (decimal, then a newline), the first and the last 64 KiB.

    Enough to recognise a file that was moved or renamed without reading all of it; a file whose
    tags were rewritten (they sit at the start of most formats) gets a new hash, and is recognised
    by its MusicBrainz recording id instead when it has one.
    """
    size = path.stat().st_size
    digest = hashlib.sha256(f"{size}\n".encode())
    with open(path, "rb") as binary:
        digest.update(binary.read(HASH_CHUNK_BYTES))
        if size > HASH_CHUNK_BYTES:
            binary.seek(max(HASH_CHUNK_BYTES, size - HASH_CHUNK_BYTES))
            digest.update(binary.read(HASH_CHUNK_BYTES))
    return digest.hexdigest()


def read_audio_file(path: Path, relative_path: str) -> FileTags:
    """Tags and stream facts of the file at ``path`` (``relative_path`` names it in the library)."""
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError as exc:
        raise UnreadableFile(f"not audio, or damaged: {_first_line(exc)}") from exc
    except (OSError, ValueError, EOFError, IndexError, KeyError, TypeError, AssertionError) as exc:
        # mutagen raises bare exceptions on some damaged headers.
        raise UnreadableFile(f"damaged: {type(exc).__name__}: {_first_line(exc)}") from exc
    if audio is None:
        raise UnreadableFile("not a recognised audio file")
    info = audio.info
    length = float(getattr(info, "length", 0.0) or 0.0)
    kind, content_type = audio_format(relative_path)
    if kind in _SNDFILE_FORMATS:
        length = _check_decodable(path, header_seconds=length)
    if length <= 0:
        raise UnreadableFile("no audio in the file (empty or truncated)")

    raw = _raw_tags(audio)
    from_path = tags_from_path(relative_path)
    title = _first(raw.get("title", ()))
    artists = _split_artists(raw.get("artist", ()))
    tagged_from_path = not title or not artists
    album = _first(raw.get("album", ()))
    if tagged_from_path:
        title = title or from_path.title
        artists = artists or from_path.artists
        album = album or from_path.album
    track_number = _number(raw.get("tracknumber", ()))
    if track_number is None and tagged_from_path:
        track_number = from_path.track_number

    return FileTags(
        title=title[:500],
        artists=tuple(name[:300] for name in artists),
        album=album[:500],
        album_artist=_first(raw.get("albumartist", ()))[:500],
        track_number=track_number,
        disc_number=_number(raw.get("discnumber", ())),
        year=_year(raw.get("date", ())),
        genres=_genres(raw.get("genre", ())),
        duration_ms=round(length * 1000),
        bitrate=_positive_int(getattr(info, "bitrate", None)),
        # Opus always decodes at 48 kHz; mutagen reports no rate for it.
        sample_rate=_positive_int(getattr(info, "sample_rate", None)) or (48000 if kind == "opus" else None),
        musicbrainz_recording_id=_uuid(raw.get("musicbrainz_trackid", ())),
        musicbrainz_release_id=_uuid(raw.get("musicbrainz_albumid", ())),
        musicbrainz_artist_ids=_artist_ids(raw.get("musicbrainz_artistid", ())),
        isrc=_isrc(raw.get("isrc", ())),
        replaygain_track_gain=_gain(raw.get("replaygain_track_gain", ())),
        replaygain_album_gain=_gain(raw.get("replaygain_album_gain", ())),
        cover=cover_thumbnail(_cover_bytes(audio)),
        tagged_from_path=tagged_from_path,
        audio_format=kind,
        content_type=content_type,
    )


def _check_decodable(path: Path, *, header_seconds: float) -> float:
    """Decode a little near the end; returns the decodable length in seconds."""
    try:
        with soundfile.SoundFile(path) as sound:
            frames, rate = sound.frames, sound.samplerate
            if frames <= 0 or rate <= 0:
                raise UnreadableFile("no audio frames (empty or truncated)")
            decodable = frames / rate
            if header_seconds > 1 and decodable < TRUNCATION_TOLERANCE * header_seconds:
                raise UnreadableFile(
                    f"truncated: the header says {header_seconds:.1f} s, the file holds {decodable:.1f} s"
                )
            # Near (not at) the end: an MP3 without a Xing header has an estimated frame count.
            wanted = min(1024, frames)
            sound.seek(max(0, int(frames * TRUNCATION_TOLERANCE) - wanted))
            if len(sound.read(wanted)) == 0:
                raise UnreadableFile("truncated: the audio ends before its stated length")
    except soundfile.LibsndfileError as exc:
        raise UnreadableFile(f"cannot be decoded (truncated or damaged): {_first_line(exc)}") from exc
    except (RuntimeError, OSError) as exc:
        raise UnreadableFile(f"cannot be decoded: {_first_line(exc)}") from exc
    return header_seconds if header_seconds > 0 else decodable


# --- names from the path --------------------------------------------------------------------

_LEADING_NUMBER = re.compile(r"^\s*(?:(\d{1,2})[-.](?=\d))?(\d{1,3})\s*(?:[-._)]\s*|\s+)(?=\S)")


@dataclass(frozen=True)
class PathNames:
    title: str
    artists: tuple[str, ...]
    album: str
    track_number: int | None


def tags_from_path(relative_path: str) -> PathNames:
    """``Artist/Album/01 - Title.ext`` → names; ``Artist - Title.ext`` at the top level too."""
    parts = PurePosixPath(relative_path).parts
    stem = PurePosixPath(relative_path).stem
    track_number = None
    match = _LEADING_NUMBER.match(stem)
    if match:
        track_number = int(match.group(2))
        stem = stem[match.end() :]
    artist = ""
    album = ""
    if len(parts) >= 3:
        artist, album = parts[-3], parts[-2]
    elif len(parts) == 2:
        artist = parts[0]
    if " - " in stem and (not artist or len(parts) < 3):
        head, tail = stem.split(" - ", 1)
        artist, stem = artist or head.strip(), tail
    title = stem.strip() or PurePosixPath(relative_path).stem
    return PathNames(
        title=title,
        artists=(artist.strip(),) if artist.strip() else ("Unknown artist",),
        album=album.strip(),
        track_number=track_number,
    )


# --- tag maps per container ---------------------------------------------------------------

# Canonical name -> ID3 frame (TXXX:desc for user text frames).
_ID3_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "albumartist": "TPE2",
    "tracknumber": "TRCK",
    "discnumber": "TPOS",
    "date": "TDRC",
    "genre": "TCON",
    "isrc": "TSRC",
    "musicbrainz_albumid": "TXXX:MusicBrainz Album Id",
    "musicbrainz_artistid": "TXXX:MusicBrainz Artist Id",
    "replaygain_track_gain": "TXXX:REPLAYGAIN_TRACK_GAIN",
    "replaygain_album_gain": "TXXX:REPLAYGAIN_ALBUM_GAIN",
}
_MP4_ATOMS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "albumartist": "aART",
    "date": "\xa9day",
    "genre": "\xa9gen",
    "musicbrainz_trackid": "----:com.apple.iTunes:MusicBrainz Track Id",
    "musicbrainz_albumid": "----:com.apple.iTunes:MusicBrainz Album Id",
    "musicbrainz_artistid": "----:com.apple.iTunes:MusicBrainz Artist Id",
    "isrc": "----:com.apple.iTunes:ISRC",
    "replaygain_track_gain": "----:com.apple.iTunes:replaygain_track_gain",
    "replaygain_album_gain": "----:com.apple.iTunes:replaygain_album_gain",
}
_VORBIS_ALIASES = {
    "title": ("title",),
    "artist": ("artist",),
    "album": ("album",),
    "albumartist": ("albumartist", "album artist", "album_artist"),
    "tracknumber": ("tracknumber",),
    "discnumber": ("discnumber",),
    "date": ("date", "year", "originaldate"),
    "genre": ("genre",),
    "isrc": ("isrc",),
    "musicbrainz_trackid": ("musicbrainz_trackid",),
    "musicbrainz_albumid": ("musicbrainz_albumid",),
    "musicbrainz_artistid": ("musicbrainz_artistid",),
    "replaygain_track_gain": ("replaygain_track_gain",),
    "replaygain_album_gain": ("replaygain_album_gain",),
}


def _raw_tags(audio: Any) -> dict[str, list[str]]:
    tags = audio.tags
    if tags is None:
        return {}
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    if isinstance(tags, ID3):
        return _id3_tags(tags)
    if isinstance(tags, MP4Tags):
        return _mp4_tags(tags)
    if hasattr(tags, "as_dict") or hasattr(tags, "keys"):
        return _vorbis_tags(tags)
    return {}


def _id3_tags(tags: Any) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for name, frame_id in _ID3_FRAMES.items():
        frame = tags.get(frame_id)
        if frame is not None:
            raw[name] = [str(text) for text in frame.text]
    for frame in tags.getall("UFID"):
        if frame.owner == "http://musicbrainz.org":
            raw["musicbrainz_trackid"] = [frame.data.decode("ascii", "replace")]
    # ID3v2.3 writers put the year in TYER.
    if "date" not in raw and tags.get("TYER") is not None:
        raw["date"] = [str(text) for text in tags["TYER"].text]
    return raw


def _mp4_tags(tags: Any) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for name, atom in _MP4_ATOMS.items():
        values = tags.get(atom)
        if values:
            raw[name] = [
                value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else str(value)
                for value in values
            ]
    for name, atom in (("tracknumber", "trkn"), ("discnumber", "disk")):
        pairs = tags.get(atom)
        if pairs and pairs[0] and pairs[0][0]:
            raw[name] = [str(pairs[0][0])]
    return raw


def _vorbis_tags(tags: Any) -> dict[str, list[str]]:
    lowered: dict[str, list[str]] = {}
    # Vorbis comments iterate as (key, value) pairs; keys() gives each key once.
    keys = list(tags.keys())
    for key in keys:
        values = tags[key]
        lowered.setdefault(key.lower(), []).extend(
            str(value) for value in (values if isinstance(values, list) else [values])
        )
    raw: dict[str, list[str]] = {}
    for name, aliases in _VORBIS_ALIASES.items():
        for key in aliases:
            if lowered.get(key):
                raw[name] = list(lowered[key])
                break
    return raw


def _cover_bytes(audio: Any) -> bytes | None:
    pictures = getattr(audio, "pictures", None)  # FLAC
    if pictures:
        return _front_first(pictures)
    tags = audio.tags
    if tags is None:
        return None
    if hasattr(tags, "getall"):  # ID3
        frames = tags.getall("APIC")
        if frames:
            front = [frame for frame in frames if frame.type == 3]
            return bytes((front or frames)[0].data)
        return None
    covers = tags.get("covr") if hasattr(tags, "get") else None  # MP4
    if covers:
        return bytes(covers[0])
    encoded = tags.get("metadata_block_picture") if hasattr(tags, "get") else None  # Ogg
    if encoded:
        decoded = []
        for value in encoded:
            try:
                decoded.append(Picture(base64.b64decode(value)))
            except (ValueError, mutagen.MutagenError):
                continue
        return _front_first(decoded) if decoded else None
    return None


def _front_first(pictures: Sequence[Any]) -> bytes:
    front = [picture for picture in pictures if picture.type == 3]
    return bytes((front or list(pictures))[0].data)


def cover_thumbnail(data: bytes | None) -> bytes | None:
    """A JPEG at most COVER_MAX_PIXELS on its longer side, or None if there is no usable image."""
    if not data or len(data) > COVER_MAX_INPUT_BYTES:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (COVER_MAX_PIXELS, COVER_MAX_PIXELS))  # JPEG: decode at a smaller scale
            picture = image.convert("RGB")
            picture.thumbnail((COVER_MAX_PIXELS, COVER_MAX_PIXELS))
            output = io.BytesIO()
            picture.save(output, format="JPEG", quality=COVER_JPEG_QUALITY, optimize=True)
            return output.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


# --- values --------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _first(values: Iterable[str]) -> str:
    for value in values:
        if value.strip():
            return value.strip()
    return ""


def _split_artists(values: Iterable[str]) -> tuple[str, ...]:
    """Several artists: separate values (Vorbis, ID3v2.4 null-separated) or 'A/B' in one (ID3v2.3).

    ';' is split too (a common writer convention); ',' and '&' are not, since they occur in
    single artist names ("Crosby, Stills & Nash").
    """
    names: list[str] = []
    for value in values:
        for part in re.split(r"\s*[/;\x00]\s*", value):
            part = part.strip()
            if part and part.lower() not in {name.lower() for name in names}:
                names.append(part)
    return tuple(names)


def _artist_ids(values: Iterable[str]) -> tuple[str, ...]:
    ids = (_uuid([part]) for value in values for part in re.split(r"[/;\x00,\s]+", value) if part)
    return tuple(str(artist_id) for artist_id in ids if artist_id)


def _number(values: Iterable[str]) -> int | None:
    match = re.match(r"\s*(\d+)", _first(values))
    if not match:
        return None
    number = int(match.group(1))
    return number if 0 < number < 32768 else None


def _year(values: Iterable[str]) -> int | None:
    match = re.match(r"\s*(\d{4})", _first(values))
    if not match:
        return None
    year = int(match.group(1))
    return year if 1000 <= year <= 2100 else None


def _genres(values: Iterable[str]) -> tuple[str, ...]:
    genres: list[str] = []
    for value in values:
        for part in re.split(r"\s*[;/\x00]\s*", value):
            # ID3v1 numeric genres come back from mutagen already named; "(17)" forms as well.
            name = re.sub(r"^\(\d+\)", "", part).strip().lower()[:100]
            if name and name not in genres:
                genres.append(name)
    return tuple(genres)


def _uuid(values: Iterable[str]) -> uuid.UUID | None:
    try:
        return uuid.UUID(_first(values))
    except ValueError:
        return None


def _isrc(values: Iterable[str]) -> str:
    code = re.sub(r"[^A-Za-z0-9]", "", _first(values)).upper()
    return code if re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", code) else ""


def _gain(values: Iterable[str]) -> float | None:
    match = re.match(r"\s*([+-]?\d+(?:\.\d+)?)", _first(values))
    if not match:
        return None
    gain = float(match.group(1))
    return gain if -60.0 <= gain <= 60.0 else None


def _positive_int(value: object) -> int | None:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
