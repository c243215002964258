"""Playlist files: JSPF, XSPF and M3U8 carry every track with its ids, and parse back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from playlists.exporting import (
    EXPORT_FORMATS,
    AudioLocations,
    ExportPlaylist,
    ExportTrack,
    to_jspf,
    to_m3u8,
    to_xspf,
)

PLAYLIST = ExportPlaylist(
    title="Rainy <Sunday> & jazz",
    annotation="Made from “rainy sunday jazz”",
    created_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    url="http://testserver/playlists/1/",
    tracks=[
        ExportTrack(
            title="So What",
            artists=("Miles Davis",),
            album="Kind of Blue",
            duration_ms=562000,
            spotify_uri="spotify:track:4vLYewWIvqHfKtJDk8c8tq",
            isrc="USSM15900113",
            annotation="matches: jazz, calm",
        ),
        ExportTrack(
            title="Demo song\nwith a newline",
            artists=("Aurora Vale", "The Demo Band"),
            audio_url="https://example.org/preview.mp3",
            musicbrainz_recording_id="1b4a1f2c-0000-4000-8000-000000000001",
        ),
        ExportTrack(title="No ids", artists=("Nobody",)),
        ExportTrack(
            title="Own Song",
            artists=("Local Band",),
            album="Home Recordings",
            duration_ms=181_400,
            stream_url="https://segue.example/tracks/7/stream?token=7.1900000000:sig",
            audio_url="https://example.org/own-preview.mp3",
            isrc="GBAAA0000001",
        ),
    ],
)


def test_jspf_lists_every_track_with_locations_and_identifiers() -> None:
    document = json.loads(to_jspf(PLAYLIST))["playlist"]

    assert document["title"] == PLAYLIST.title
    first, second, third, own = document["track"]
    assert first["creator"] == "Miles Davis"
    assert first["duration"] == 562000
    assert first["location"] == ["https://open.spotify.com/track/4vLYewWIvqHfKtJDk8c8tq"]
    assert first["identifier"] == ["spotify:track:4vLYewWIvqHfKtJDk8c8tq", "isrc:USSM15900113"]
    assert first["annotation"] == "matches: jazz, calm"
    assert second["creator"] == "Aurora Vale, The Demo Band"
    assert second["identifier"] == ["https://musicbrainz.org/recording/1b4a1f2c-0000-4000-8000-000000000001"]
    assert "location" not in third
    assert own["location"] == [
        "https://segue.example/tracks/7/stream?token=7.1900000000:sig",
        "https://example.org/own-preview.mp3",
    ]
    assert own["identifier"] == ["isrc:GBAAA0000001"]


def test_xspf_is_well_formed_xml_with_escaped_text() -> None:
    root = ET.fromstring(to_xspf(PLAYLIST).encode())
    namespace = {"x": "http://xspf.org/ns/0/"}

    assert root.find("x:title", namespace).text == "Rainy <Sunday> & jazz"  # type: ignore[union-attr]
    tracks = root.findall("x:trackList/x:track", namespace)
    assert [track.find("x:title", namespace).text for track in tracks][0] == "So What"  # type: ignore[union-attr]
    assert tracks[1].find("x:location", namespace).text == "https://example.org/preview.mp3"  # type: ignore[union-attr]
    assert tracks[0].find("x:duration", namespace).text == "562000"  # type: ignore[union-attr]


def test_m3u8_plays_tracks_with_audio_and_names_the_others_in_comment_lines() -> None:
    lines = to_m3u8(PLAYLIST).splitlines()

    assert lines[0] == "#EXTM3U"
    extinf = [line for line in lines if line.startswith("#EXTINF:")]
    assert extinf == [
        "#EXTINF:-1,Aurora Vale, The Demo Band - Demo song with a newline",
        "#EXTINF:181,Local Band - Own Song",
    ]
    # The stream URL (the listener's own audio) is the entry, before the catalog's preview.
    assert lines[lines.index("#EXTINF:181,Local Band - Own Song") + 2] == PLAYLIST.tracks[3].stream_url
    assert "https://example.org/preview.mp3" in lines
    # A web page is no entry: a track without audio is a comment naming it and its ids.
    assert (
        "# not playable here: Miles Davis - So What (spotify:track:4vLYewWIvqHfKtJDk8c8tq, isrc:USSM15900113)"
        in lines
    )
    assert "# not playable here: Nobody - No ids" in lines
    entries = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) == 2


def test_relative_paths_are_m3u8_entries_as_written_and_percent_encoded_uris_in_xspf_and_jspf() -> None:
    playlist = ExportPlaylist(
        title="Paths",
        annotation="",
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        url="http://testserver/playlists/2/",
        tracks=[
            ExportTrack(title="Café", artists=("AC/DC",), file_path="AC:DC/Live #1/01 - Café & Co.flac"),
            ExportTrack(title="Hash", artists=("X",), file_path="#odd/track.mp3"),
        ],
    )

    lines = to_m3u8(playlist).splitlines()
    assert "AC:DC/Live #1/01 - Café & Co.flac" in lines
    assert "./#odd/track.mp3" in lines  # not read as a comment line
    xspf = ET.fromstring(to_xspf(playlist).encode())
    namespace = {"x": "http://xspf.org/ns/0/"}
    locations = [element.text for element in xspf.findall("x:trackList/x:track/x:location", namespace)]
    assert locations == ["AC%3ADC/Live%20%231/01%20-%20Caf%C3%A9%20%26%20Co.flac", "%23odd/track.mp3"]
    jspf = json.loads(to_jspf(playlist))["playlist"]
    assert jspf["track"][0]["location"] == [locations[0]]


def test_a_track_with_a_stream_url_and_a_path_is_located_by_the_url() -> None:
    track = ExportTrack(title="T", artists=("A",), stream_url="https://s.example/1", file_path="a/b.mp3")

    assert track.locations == ["https://s.example/1"]
    assert track.audio_locations() == ["https://s.example/1"]


def test_every_format_is_registered_with_a_content_type() -> None:
    assert set(EXPORT_FORMATS) == {"jspf", "xspf", "m3u8"}
    assert set(AudioLocations) == {"stream", "relative"}
    for kind in EXPORT_FORMATS.values():
        assert kind.render(PLAYLIST)
        assert "charset=utf-8" in kind.content_type
