"""A Subsonic song (a JSON/XML ``Child``) as the fields of a catalog track and media file."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Song:
    song_id: str
    title: str
    artists: tuple[str, ...]
    album: str
    year: int | None
    duration_ms: int | None
    isrc: str
    musicbrainz_recording_id: uuid.UUID | None
    genres: tuple[str, ...]
    size: int
    suffix: str
    content_type: str
    bitrate: int | None
    track_number: int | None
    disc_number: int | None
    cover_art: str
    play_count: int
    played: str
    starred: str
    fingerprint: str  # changes when anything Segue keeps about the song changes


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def song_from_child(child: dict[str, Any]) -> Song | None:
    """None for what is not a playable song (a video, a directory, an item without id or title)."""
    if child.get("isDir") or child.get("isVideo") or not child.get("id"):
        return None
    title = str(child.get("title") or "").strip()
    if not title:
        return None
    artists: tuple[str, ...]
    listed = child.get("artists")
    if isinstance(listed, list) and listed:
        artists = tuple(
            str(item.get("name")).strip() for item in listed if isinstance(item, dict) and item.get("name")
        )
    else:
        artists = (str(child["artist"]).strip(),) if child.get("artist") else ()
    genres: tuple[str, ...]
    listed_genres = child.get("genres")
    if isinstance(listed_genres, list) and listed_genres:
        genres = tuple(
            str(item.get("name")) for item in listed_genres if isinstance(item, dict) and item.get("name")
        )
    else:
        genres = tuple(part.strip() for part in str(child.get("genre") or "").split(";") if part.strip())
    isrc_value = child.get("isrc")
    isrc = (isrc_value[0] if isinstance(isrc_value, list) and isrc_value else str(isrc_value or "")).strip()[
        :12
    ]
    year = _int(child.get("year"))
    if year is not None and not 1000 <= year <= 2100:
        year = None
    duration = _int(child.get("duration"))
    suffix = str(child.get("suffix") or "").lower()[:10]
    kept = {
        key: child.get(key)
        for key in (
            "title",
            "artist",
            "artists",
            "album",
            "year",
            "duration",
            "isrc",
            "musicBrainzId",
            "genre",
            "genres",
            "size",
            "suffix",
            "contentType",
            "bitRate",
            "track",
            "discNumber",
            "coverArt",
        )
    }
    fingerprint = hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()
    return Song(
        song_id=str(child["id"]),
        title=title[:500],
        artists=tuple(name[:300] for name in artists if name),
        album=str(child.get("album") or "")[:500],
        year=year,
        duration_ms=duration * 1000 if duration is not None and duration >= 0 else None,
        isrc=isrc,
        musicbrainz_recording_id=_uuid(child.get("musicBrainzId")),
        genres=genres,
        size=_int(child.get("size")) or 0,
        suffix=suffix,
        content_type=str(child.get("contentType") or "application/octet-stream")[:50],
        bitrate=_int(child.get("bitRate")),
        track_number=_int(child.get("track")),
        disc_number=_int(child.get("discNumber")),
        cover_art=str(child.get("coverArt") or ""),
        play_count=_int(child.get("playCount")) or 0,
        played=str(child.get("played") or ""),
        starred=str(child.get("starred") or ""),
        fingerprint=fingerprint,
    )
