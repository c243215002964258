"""Playable exports: the listener's own audio as signed stream URLs (or library-relative paths),
tracks without audio named, and the M3U8 played by a real external player (mpv)."""

from __future__ import annotations

import inspect
import json
import math
import shutil
import struct
import subprocess
import time
import urllib.error
import urllib.request
import wave
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer
from rest_framework.test import APIClient

from accounts.models import User
from catalog import streaming
from catalog.models import LibrarySource, LibrarySourceKind, MediaFile, Track
from catalog.stream_links import stream_token_allows
from playlists.models import Playlist
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

MPV = "/usr/bin/mpv"
XSPF = {"x": "http://xspf.org/ns/0/"}
SONG_PATH = "Local Band/Home Recordings/01 - Own Song.wav"


@pytest.fixture
def api(owner: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


def media_file_make(
    track: Track, root: Path, path: str = SONG_PATH, *, size: int = 1000, **fields: object
) -> MediaFile:
    source, _ = LibrarySource.objects.get_or_create(
        kind=LibrarySourceKind.FOLDER, root=str(root), defaults={"name": "My music"}
    )
    return MediaFile.objects.create(
        source=source,
        track=track,
        path=path,
        size=size,
        mtime=0.0,
        audio_format="wav",
        content_type="audio/wav",
        **fields,
    )


@pytest.fixture
def mixed_playlist(owner: User, tmp_path: Path) -> tuple[Playlist, Track, Track]:
    """A ready playlist: a track with a file in the library, then a metadata-only one."""
    own = TrackFactory(
        title="Own Song",
        artists=["Local Band"],
        duration_ms=2000,
        isrc="GBAAA0000001",
        musicbrainz_recording_id="1b4a1f2c-0000-4000-8000-000000000001",
    )
    media_file_make(own, tmp_path)
    elsewhere = TrackFactory(
        title="So What", artists=["Miles Davis"], spotify_uri="spotify:track:4vLYewWIvqHfKtJDk8c8tq"
    )
    playlist = playlist_make(owner=owner, prompt="home and away")
    version_make(playlist, tracks=[own, elsewhere])
    return playlist, own, elsewhere


def export_text(client: Client | APIClient, playlist: Playlist, export_format: str, query: str = "") -> str:
    response = client.get(reverse("playlists:export", args=[playlist.pk, export_format]) + query)
    assert response.status_code == 200, response.content
    return response.content.decode()


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def m3u8_entries(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_m3u8_plays_a_library_track_by_a_signed_stream_url_and_names_the_metadata_only_one(
    owner_client: Client, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, own, elsewhere = mixed_playlist

    text = export_text(owner_client, playlist, "m3u8")

    [entry] = m3u8_entries(text)
    assert entry.startswith(f"http://testserver/tracks/{own.pk}/stream?token=")
    assert stream_token_allows(token_of(entry), track_id=own.pk)
    assert not stream_token_allows(token_of(entry), track_id=elsewhere.pk)
    assert f"#EXTINF:2,Local Band - Own Song\n#EXTALB:Test Album\n{entry}" in text
    assert "# not playable here: Miles Davis - So What (spotify:track:4vLYewWIvqHfKtJDk8c8tq)" in text


def test_signed_links_last_stream_link_ttl_hours(
    owner_client: Client, mixed_playlist: tuple[Playlist, Track, Track], settings: Settings
) -> None:
    playlist, own, _ = mixed_playlist
    settings.STREAM_LINK_TTL_HOURS = 2

    [entry] = m3u8_entries(export_text(owner_client, playlist, "m3u8"))

    now = time.time()
    assert stream_token_allows(token_of(entry), track_id=own.pk, now=now + 2 * 3600 - 60)
    assert not stream_token_allows(token_of(entry), track_id=own.pk, now=now + 2 * 3600 + 60)


def test_relative_paths_mode_writes_library_paths_on_the_page_and_in_the_api(
    owner_client: Client, api: APIClient, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, _, _ = mixed_playlist

    page = export_text(owner_client, playlist, "m3u8", "?paths=relative")
    response = api.get(f"/api/playlists/{playlist.pk}/export/m3u8/?paths=relative")

    assert m3u8_entries(page) == [SONG_PATH]
    assert "token=" not in page
    assert response.status_code == 200
    assert m3u8_entries(response.content.decode()) == [SONG_PATH]


def test_a_removed_file_or_a_media_server_file_gives_no_path_and_a_removed_one_no_stream_url(
    owner_client: Client, owner: User, tmp_path: Path
) -> None:
    removed, remote = TrackFactory(title="Gone"), TrackFactory(title="Remote")
    media_file_make(removed, tmp_path, "gone.mp3", removed_at=timezone.now())
    server = LibrarySource.objects.create(kind=LibrarySourceKind.SUBSONIC, name="Navidrome")
    MediaFile.objects.create(
        source=server,
        track=remote,
        path="id-42",
        size=1,
        mtime=0,
        audio_format="mp3",
        content_type="audio/mpeg",
    )
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[removed, remote])

    streams = m3u8_entries(export_text(owner_client, playlist, "m3u8"))
    paths = export_text(owner_client, playlist, "m3u8", "?paths=relative")

    assert [urlsplit(entry).path for entry in streams] == [f"/tracks/{remote.pk}/stream"]
    assert m3u8_entries(paths) == []
    assert "# not playable here:" in paths and "Gone" in paths and "Remote" in paths


def test_xspf_gives_the_signed_url_as_location_and_the_identifiers(
    owner_client: Client, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, own, elsewhere = mixed_playlist

    root = ET.fromstring(export_text(owner_client, playlist, "xspf").encode())

    first, second = root.findall("x:trackList/x:track", XSPF)
    [location] = [element.text or "" for element in first.findall("x:location", XSPF)]
    assert urlsplit(location).path == f"/tracks/{own.pk}/stream"
    assert stream_token_allows(token_of(location), track_id=own.pk)
    assert [element.text for element in first.findall("x:identifier", XSPF)] == [
        "isrc:GBAAA0000001",
        "https://musicbrainz.org/recording/1b4a1f2c-0000-4000-8000-000000000001",
    ]
    assert [element.text for element in second.findall("x:identifier", XSPF)] == [
        "spotify:track:4vLYewWIvqHfKtJDk8c8tq"
    ]
    assert [element.text for element in second.findall("x:location", XSPF)] == [
        "https://open.spotify.com/track/4vLYewWIvqHfKtJDk8c8tq"
    ]


def test_jspf_gives_the_signed_url_as_location_and_relative_mode_an_encoded_path(
    api: APIClient, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, own, _ = mixed_playlist

    streamed = json.loads(api.get(f"/api/playlists/{playlist.pk}/export/jspf/").content)["playlist"]
    relative = json.loads(api.get(f"/api/playlists/{playlist.pk}/export/jspf/?paths=relative").content)

    first = streamed["track"][0]
    assert first["title"] == "Own Song" and first["creator"] == "Local Band"
    assert stream_token_allows(token_of(first["location"][0]), track_id=own.pk)
    assert "isrc:GBAAA0000001" in first["identifier"]
    assert relative["playlist"]["track"][0]["location"] == [
        "Local%20Band/Home%20Recordings/01%20-%20Own%20Song.wav"
    ]


def test_an_unknown_paths_option_is_refused(
    owner_client: Client, api: APIClient, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, _, _ = mixed_playlist

    page = owner_client.get(reverse("playlists:export", args=[playlist.pk, "m3u8"]) + "?paths=absolute")
    response = api.get(f"/api/playlists/{playlist.pk}/export/m3u8/?paths=absolute")

    assert page.status_code == 400
    assert response.status_code == 400
    assert "stream, relative" in response.content.decode()


def test_a_stranger_gets_404_for_either_kind_of_export(
    other_user: User, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, _, _ = mixed_playlist
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    for query in ("", "?paths=relative"):
        assert stranger.get(f"/api/playlists/{playlist.pk}/export/m3u8/{query}").status_code == 404


def test_the_page_offers_both_kinds_of_export_links(
    owner_client: Client, mixed_playlist: tuple[Playlist, Track, Track]
) -> None:
    playlist, _, _ = mixed_playlist

    html = owner_client.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    export = reverse("playlists:export", args=[playlist.pk, "m3u8"])
    assert f'href="{export}?version=1"' in html
    assert f'href="{export}?version=1&amp;paths=relative"' in html


def test_the_paths_option_is_in_the_openapi_schema(api: APIClient) -> None:
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/json").content)

    operation = schema["paths"]["/api/playlists/{playlist_id}/export/{export_format}/"]["get"]
    [paths] = [parameter for parameter in operation["parameters"] if parameter["name"] == "paths"]
    assert set(paths["schema"]["enum"]) == {"stream", "relative"}


# --- a real external player ------------------------------------------------------------------------


def write_tone(path: Path, *, seconds: float = 2.0, rate: int = 22050) -> None:
    """A 440 Hz sine as 16-bit mono WAV (deterministic, no randomness)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


@pytest.mark.skipif(shutil.which(MPV) is None, reason="mpv is not installed")
def test_mpv_plays_the_exported_m3u8_from_the_live_server(
    live_server: LiveServer, owner: User, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    write_tone(music / SONG_PATH)
    own = TrackFactory(title="Own Song", artists=["Local Band"], duration_ms=2000)
    media_file_make(own, music, size=(music / SONG_PATH).stat().st_size)
    elsewhere = TrackFactory(title="Not Here", artists=["Nobody"])
    playlist = playlist_make(owner=owner, prompt="tone test")
    version_make(playlist, tracks=[elsewhere, own])
    client = Client()
    client.force_login(owner)
    host = urlsplit(live_server.url).netloc

    response = client.get(reverse("playlists:export", args=[playlist.pk, "m3u8"]), HTTP_HOST=host)
    [entry] = m3u8_entries(response.content.decode())
    assert entry.startswith(f"{live_server.url}/tracks/{own.pk}/stream?token=")
    try:
        # A GET of the first bytes (a HEAD may not be offered), without any session.
        probe = urllib.request.Request(entry, headers={"Range": "bytes=0-1"})
        urllib.request.urlopen(probe, timeout=10).close()
    except urllib.error.HTTPError as error:
        # Only the placeholder view may excuse a 404; the real one must serve a present file.
        if error.code == 404 and "not built yet" in inspect.getsource(streaming):
            pytest.skip("stream view not merged yet")
        raise
    playlist_file = tmp_path / "segue.m3u8"
    playlist_file.write_bytes(response.content)

    # No session, no cookie: the signed URL alone lets an external player in.
    played = subprocess.run(
        [
            MPV,
            "--no-config",
            "--no-video",
            "--ao=null",
            "--length=1",
            "--msg-level=all=v",
            str(playlist_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = played.stdout + played.stderr
    assert played.returncode == 0, output
    assert "AO: [null]" in output
    assert f"/tracks/{own.pk}/stream" in output
