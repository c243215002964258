"""Playlist files: JSPF, XSPF and M3U8 carry every track with its ids, and parse back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from playlists.exporting import EXPORT_FORMATS, ExportPlaylist, ExportTrack, to_jspf, to_m3u8, to_xspf

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
    ],
)


def test_jspf_lists_every_track_with_locations_and_identifiers() -> None:
    document = json.loads(to_jspf(PLAYLIST))["playlist"]

    assert document["title"] == PLAYLIST.title
    first, second, third = document["track"]
    assert first["creator"] == "Miles Davis"
    assert first["duration"] == 562000
    assert first["location"] == ["https://open.spotify.com/track/4vLYewWIvqHfKtJDk8c8tq"]
    assert first["identifier"] == ["spotify:track:4vLYewWIvqHfKtJDk8c8tq", "isrc:USSM15900113"]
    assert first["annotation"] == "matches: jazz, calm"
    assert second["creator"] == "Aurora Vale, The Demo Band"
    assert second["identifier"] == ["https://musicbrainz.org/recording/1b4a1f2c-0000-4000-8000-000000000001"]
    assert "location" not in third


def test_xspf_is_well_formed_xml_with_escaped_text() -> None:
    root = ET.fromstring(to_xspf(PLAYLIST).encode())
    namespace = {"x": "http://xspf.org/ns/0/"}

    assert root.find("x:title", namespace).text == "Rainy <Sunday> & jazz"  # type: ignore[union-attr]
    tracks = root.findall("x:trackList/x:track", namespace)
    assert [track.find("x:title", namespace).text for track in tracks][0] == "So What"  # type: ignore[union-attr]
    assert tracks[1].find("x:location", namespace).text == "https://example.org/preview.mp3"  # type: ignore[union-attr]
    assert tracks[0].find("x:duration", namespace).text == "562000"  # type: ignore[union-attr]


def test_m3u8_has_one_entry_per_track_on_single_lines() -> None:
    lines = to_m3u8(PLAYLIST).splitlines()

    assert lines[0] == "#EXTM3U"
    extinf = [line for line in lines if line.startswith("#EXTINF:")]
    assert extinf == [
        "#EXTINF:562,Miles Davis - So What",
        "#EXTINF:-1,Aurora Vale, The Demo Band - Demo song with a newline",
        "#EXTINF:-1,Nobody - No ids",
    ]
    assert "https://open.spotify.com/track/4vLYewWIvqHfKtJDk8c8tq" in lines
    assert "https://example.org/preview.mp3" in lines


def test_every_format_is_registered_with_a_content_type() -> None:
    assert set(EXPORT_FORMATS) == {"jspf", "xspf", "m3u8"}
    for kind in EXPORT_FORMATS.values():
        assert kind.render(PLAYLIST)
        assert "charset=utf-8" in kind.content_type
