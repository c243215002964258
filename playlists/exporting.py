"""Playlist files: JSPF (JSON), XSPF (XML) and extended M3U (UTF-8). Pure: no Django.

Each track carries what a player or another service needs to find it again: title, artists,
album, duration, a playable location when there is one, and its external ids (Spotify URI,
ISRC, MusicBrainz recording) as identifiers.

A track's own audio is located either by ``stream_url`` (an absolute, signed URL that any player
can fetch) or by ``file_path`` (relative to the music library's root, for a playlist file kept
beside the music). A track with neither, and no audio preview, is not playable from the file:
M3U8 writes it as a comment line naming it, so the listener still sees what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote
from xml.etree import ElementTree as ET

XSPF_NAMESPACE = "http://xspf.org/ns/0/"
MUSICBRAINZ_RECORDING_URL = "https://musicbrainz.org/recording/"
SPOTIFY_TRACK_URL = "https://open.spotify.com/track/"


class AudioLocations(StrEnum):
    """How an export points at the listener's own audio (the ``paths`` option)."""

    STREAM = "stream"  # absolute signed stream URLs: playable anywhere until they expire
    RELATIVE = "relative"  # file paths relative to the music library's root


@dataclass(frozen=True)
class ExportTrack:
    title: str
    artists: tuple[str, ...]
    album: str = ""
    duration_ms: int | None = None
    audio_url: str = ""
    stream_url: str = ""
    file_path: str = ""
    spotify_uri: str = ""
    isrc: str = ""
    musicbrainz_recording_id: str = ""
    annotation: str = ""

    @property
    def creator(self) -> str:
        return ", ".join(self.artists)

    @property
    def identifiers(self) -> list[str]:
        found = []
        if self.spotify_uri:
            found.append(self.spotify_uri)
        if self.isrc:
            found.append(f"isrc:{self.isrc}")
        if self.musicbrainz_recording_id:
            found.append(MUSICBRAINZ_RECORDING_URL + self.musicbrainz_recording_id)
        return found

    @property
    def locations(self) -> list[str]:
        """URIs, most playable first: own audio, the catalog's preview, the Spotify page."""
        # XSPF locations are URIs: a relative path is percent-encoded (a relative reference).
        own = self.stream_url or quote(self.file_path)
        found = [location for location in (own, self.audio_url) if location]
        if self.spotify_uri.startswith("spotify:track:"):
            found.append(SPOTIFY_TRACK_URL + self.spotify_uri.removeprefix("spotify:track:"))
        return found

    def audio_locations(self) -> list[str]:
        """Where audio itself can be fetched (a file path as written, unencoded)."""
        own = self.stream_url or self.file_path
        return [location for location in (own, self.audio_url) if location]


@dataclass(frozen=True)
class ExportPlaylist:
    title: str
    annotation: str
    created_at: datetime
    url: str
    tracks: Sequence[ExportTrack]


def to_jspf(playlist: ExportPlaylist) -> str:
    """JSPF, the JSON form of XSPF (as ListenBrainz imports and exports it)."""
    tracks = []
    for track in playlist.tracks:
        entry: dict[str, object] = {"title": track.title, "creator": track.creator}
        if track.album:
            entry["album"] = track.album
        if track.duration_ms:
            entry["duration"] = track.duration_ms
        if track.locations:
            entry["location"] = track.locations
        if track.identifiers:
            entry["identifier"] = track.identifiers
        if track.annotation:
            entry["annotation"] = track.annotation
        tracks.append(entry)
    document = {
        "playlist": {
            "title": playlist.title,
            "annotation": playlist.annotation,
            "creator": "Segue",
            "date": playlist.created_at.isoformat(),
            "identifier": playlist.url,
            "track": tracks,
        }
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def to_xspf(playlist: ExportPlaylist) -> str:
    ET.register_namespace("", XSPF_NAMESPACE)
    root = ET.Element(_xspf("playlist"), version="1")
    _xspf_text(root, "title", playlist.title)
    _xspf_text(root, "creator", "Segue")
    _xspf_text(root, "annotation", playlist.annotation)
    _xspf_text(root, "date", playlist.created_at.isoformat())
    _xspf_text(root, "identifier", playlist.url)
    track_list = ET.SubElement(root, _xspf("trackList"))
    for track in playlist.tracks:
        element = ET.SubElement(track_list, _xspf("track"))
        for location in track.locations:
            _xspf_text(element, "location", location)
        for identifier in track.identifiers:
            _xspf_text(element, "identifier", identifier)
        _xspf_text(element, "title", track.title)
        _xspf_text(element, "creator", track.creator)
        _xspf_text(element, "album", track.album)
        _xspf_text(element, "annotation", track.annotation)
        if track.duration_ms:
            _xspf_text(element, "duration", str(track.duration_ms))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _xspf(tag: str) -> str:
    return f"{{{XSPF_NAMESPACE}}}{tag}"


def _xspf_text(parent: ET.Element, tag: str, text: str) -> None:
    if text:
        ET.SubElement(parent, _xspf(tag)).text = text


def to_m3u8(playlist: ExportPlaylist) -> str:
    """Extended M3U in UTF-8, one entry per track.

    Only audio is an entry (a player stops or complains at a web page); a track without audio is
    written as a comment line naming it and its identifiers.
    """
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(playlist.title)}"]
    for track in playlist.tracks:
        name = f"{_one_line(track.creator)} - {_one_line(track.title)}"
        audio = track.audio_locations()
        if not audio:
            identifiers = f" ({', '.join(track.identifiers)})" if track.identifiers else ""
            lines.append(f"# not playable here: {name}{identifiers}")
            continue
        seconds = round(track.duration_ms / 1000) if track.duration_ms else -1
        lines.append(f"#EXTINF:{seconds},{name}")
        if track.album:
            lines.append(f"#EXTALB:{_one_line(track.album)}")
        lines.append(_m3u8_entry(audio[0], is_path=audio[0] == track.file_path))
    return "\n".join(lines) + "\n"


def _m3u8_entry(location: str, *, is_path: bool) -> str:
    if not is_path:
        return location
    if "\n" in location or "\r" in location:
        # A line break would end the entry; a percent-encoded relative URI is still read by players.
        return quote(location)
    # A path that starts with "#" would read as a comment line.
    return f"./{location}" if location.startswith("#") else location


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class ExportFormat:
    render: Callable[[ExportPlaylist], str]
    content_type: str
    extension: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "jspf": ExportFormat(to_jspf, "application/jspf+json; charset=utf-8", "jspf"),
    "xspf": ExportFormat(to_xspf, "application/xspf+xml; charset=utf-8", "xspf"),
    "m3u8": ExportFormat(to_m3u8, "audio/x-mpegurl; charset=utf-8", "m3u8"),
}
