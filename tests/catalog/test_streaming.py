"""Streaming a track's audio: access, HTTP Range, the library root, web-server hand-off, cover art."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ConsentPurpose, User
from accounts.services import consent_withdraw
from catalog.byte_ranges import ByteRange, RangeNotSatisfiable, byte_range_parse
from catalog.models import LibrarySource, MediaFile, Track
from catalog.stream_links import signed_stream_path, stream_token
from tests.catalog.audio_files import media_file_make, sine_write
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make


@pytest.fixture
def music_root(tmp_path: Path) -> Path:
    root = tmp_path / "music"
    root.mkdir()
    return root


@pytest.fixture
def source(db: None, music_root: Path) -> LibrarySource:
    return LibrarySource.objects.create(name="Test music", root=str(music_root))


@pytest.fixture
def track(source: LibrarySource, music_root: Path) -> Track:
    track = TrackFactory(title="Sine")
    sine_write(music_root / "Artist" / "Album" / "01 - Sine.wav", seconds=2.0)
    media_file_make(source=source, track=track, relative="Artist/Album/01 - Sine.wav", duration_ms=2000)
    return track


@pytest.fixture
def audio_bytes(music_root: Path, track: Track) -> bytes:
    return (music_root / "Artist" / "Album" / "01 - Sine.wav").read_bytes()


@pytest.fixture
def listener(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


def stream_url(track: Track) -> str:
    return reverse("stream:track", args=[track.pk])


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Range parsing (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-199", ByteRange(100, 199)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=500-", ByteRange(500, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("BYTES = 1-2", ByteRange(1, 2)),
        (None, None),
        ("", None),
        ("items=0-5", None),
        ("bytes=0-1,5-9", None),
    ],
)
def test_range_header_gives_the_bytes_asked_for(header: str | None, expected: ByteRange | None) -> None:
    assert byte_range_parse(header, 1000) == expected


@pytest.mark.parametrize(
    "header", ["bytes=1000-", "bytes=5-2", "bytes=-0", "bytes=-", "bytes=abc", "bytes=1-2-3"]
)
def test_unsatisfiable_or_malformed_range_is_refused(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        byte_range_parse(header, 1000)


# --- Serving ------------------------------------------------------------------------------


def test_whole_file_is_sent_with_its_type_and_validators(
    listener: Client, track: Track, audio_bytes: bytes
) -> None:
    response = listener.get(stream_url(track))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(audio_bytes))
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert body(response) == audio_bytes


def test_first_bytes_are_a_partial_response(listener: Client, track: Track, audio_bytes: bytes) -> None:
    response = listener.get(stream_url(track), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-99/{len(audio_bytes)}"
    assert response["Content-Length"] == "100"
    assert body(response) == audio_bytes[:100]


def test_middle_range_is_sent_exactly(listener: Client, track: Track, audio_bytes: bytes) -> None:
    response = listener.get(stream_url(track), HTTP_RANGE="bytes=1000-70999")
    assert response.status_code == 206
    assert body(response) == audio_bytes[1000:71000]


def test_suffix_range_sends_the_last_bytes(listener: Client, track: Track, audio_bytes: bytes) -> None:
    response = listener.get(stream_url(track), HTTP_RANGE="bytes=-500")
    assert response.status_code == 206
    size = len(audio_bytes)
    assert response["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert body(response) == audio_bytes[-500:]


def test_open_ended_range_runs_to_the_end(listener: Client, track: Track, audio_bytes: bytes) -> None:
    response = listener.get(stream_url(track), HTTP_RANGE="bytes=2000-")
    assert response.status_code == 206
    assert body(response) == audio_bytes[2000:]


@pytest.mark.parametrize("header", ["bytes=99999999-", "bytes=9-3", "bytes=x-y"])
def test_unsatisfiable_range_is_416_with_the_size(
    listener: Client, track: Track, audio_bytes: bytes, header: str
) -> None:
    response = listener.get(stream_url(track), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(audio_bytes)}"


def test_stale_if_range_gets_the_whole_file(listener: Client, track: Track, audio_bytes: bytes) -> None:
    response = listener.get(stream_url(track), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"')
    assert response.status_code == 200
    assert body(response) == audio_bytes


def test_matching_etag_is_not_modified(listener: Client, track: Track) -> None:
    etag = listener.get(stream_url(track))["ETag"]
    assert listener.get(stream_url(track), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_head_gives_headers_without_a_body(listener: Client, track: Track, audio_bytes: bytes) -> None:
    response = listener.head(stream_url(track))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(audio_bytes))
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == b""


def test_post_is_not_allowed(listener: Client, track: Track) -> None:
    assert listener.post(stream_url(track)).status_code == 405


def test_other_formats_carry_their_content_type(
    listener: Client, source: LibrarySource, music_root: Path
) -> None:
    for suffix, content_type in (("flac", "audio/flac"), ("ogg", "audio/ogg"), ("mp3", "audio/mpeg")):
        track = TrackFactory()
        sine_write(music_root / f"tone.{suffix}", seconds=1.0)
        media_file_make(source=source, track=track, relative=f"tone.{suffix}")
        response = listener.get(stream_url(track), HTTP_RANGE="bytes=0-3")
        assert (response.status_code, response["Content-Type"]) == (206, content_type)


# --- Who may listen ---------------------------------------------------------------------------


def test_stranger_may_stream_shared_catalog_audio(client: Client, other_user: User, track: Track) -> None:
    client.force_login(other_user)
    assert client.get(stream_url(track), HTTP_RANGE="bytes=0-9").status_code == 206


def test_anonymous_player_without_token_is_unauthorized(client: Client, track: Track) -> None:
    response = client.get(stream_url(track), HTTP_ACCEPT="audio/*")
    assert response.status_code == 401
    assert b"signed stream link" in response.content


def test_anonymous_browser_without_token_is_sent_to_login(client: Client, track: Track) -> None:
    response = client.get(stream_url(track), HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_signed_link_streams_without_a_session(client: Client, track: Track, audio_bytes: bytes) -> None:
    response = client.get(signed_stream_path(track_id=track.pk, ttl_seconds=60), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert body(response) == audio_bytes[:10]


def test_expired_signed_link_is_forbidden_with_a_reason(client: Client, track: Track) -> None:
    token = stream_token(track_id=track.pk, ttl_seconds=60, now=time.time() - 3600)
    response = client.get(stream_url(track), {"token": token})
    assert response.status_code == 403
    assert b"expired" in response.content


def test_forged_signed_link_is_forbidden(client: Client, track: Track) -> None:
    token = stream_token(track_id=track.pk, ttl_seconds=60)
    response = client.get(stream_url(track), {"token": token[:-2] + "xx"})
    assert response.status_code == 403
    assert b"not valid" in response.content


def test_link_signed_for_another_track_is_forbidden(client: Client, track: Track) -> None:
    response = client.get(stream_url(track), {"token": stream_token(track_id=track.pk + 1, ttl_seconds=60)})
    assert response.status_code == 403


# --- What is never served -------------------------------------------------------------------


def test_path_climbing_out_of_the_root_is_not_served(
    listener: Client, source: LibrarySource, tmp_path: Path
) -> None:
    sine_write(tmp_path / "outside.wav", seconds=0.5)
    track = TrackFactory()
    media_file_make(source=source, track=track, relative="../outside.wav")
    response = listener.get(stream_url(track))
    assert response.status_code == 404
    assert b"missing" in response.content


def test_symlink_leaving_the_root_is_not_served(
    listener: Client, source: LibrarySource, music_root: Path, tmp_path: Path
) -> None:
    sine_write(tmp_path / "secret.wav", seconds=0.5)
    (music_root / "link.wav").symlink_to(tmp_path / "secret.wav")
    track = TrackFactory()
    media_file_make(source=source, track=track, relative="link.wav")
    assert listener.get(stream_url(track)).status_code == 404


def test_absolute_path_in_the_library_is_not_served(
    listener: Client, source: LibrarySource, tmp_path: Path
) -> None:
    outside = sine_write(tmp_path / "abs.wav", seconds=0.5)
    track = TrackFactory()
    media_file_make(source=source, track=track, relative=str(outside))
    assert listener.get(stream_url(track)).status_code == 404


def test_symlink_inside_the_root_is_served(listener: Client, source: LibrarySource, music_root: Path) -> None:
    sine_write(music_root / "real.wav", seconds=0.5)
    (music_root / "alias.wav").symlink_to(music_root / "real.wav")
    track = TrackFactory()
    media_file_make(source=source, track=track, relative="alias.wav")
    assert listener.get(stream_url(track), HTTP_RANGE="bytes=0-1").status_code == 206


def test_track_without_audio_is_a_clear_404(listener: Client, db: None) -> None:
    response = listener.get(stream_url(TrackFactory()))
    assert response.status_code == 404
    assert b"no audio file" in response.content


def test_file_gone_from_disk_is_a_clear_404(listener: Client, track: Track, music_root: Path) -> None:
    (music_root / "Artist" / "Album" / "01 - Sine.wav").unlink()
    response = listener.get(stream_url(track))
    assert response.status_code == 404
    assert b"missing from its music library" in response.content


def test_removed_media_file_is_not_served(listener: Client, track: Track) -> None:
    MediaFile.objects.filter(track=track).update(removed_at="2026-01-01T00:00:00Z")
    assert listener.get(stream_url(track)).status_code == 404


# --- Handing the body to the web server ------------------------------------------------------


def test_x_accel_redirect_names_the_file_under_the_internal_prefix(
    listener: Client, track: Track, music_root: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.STREAM_SENDFILE = "x-accel-redirect"
    settings.STREAM_ACCEL_PREFIX = "/_segue_audio"
    response = listener.get(stream_url(track), HTTP_RANGE="bytes=0-9")
    resolved = (music_root / "Artist" / "Album" / "01 - Sine.wav").resolve()
    assert response.status_code == 200  # nginx answers the range itself
    assert response["X-Accel-Redirect"] == "/_segue_audio" + str(resolved).replace(" ", "%20")
    assert response["Content-Type"] == "audio/wav"
    assert response.content == b""


def test_x_sendfile_names_the_file(listener: Client, track: Track, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STREAM_SENDFILE = "x-sendfile"
    response = listener.get(stream_url(track))
    assert response["X-Sendfile"].endswith("/Artist/Album/01%20-%20Sine.wav")
    assert response.content == b""


def test_hand_off_still_checks_access(client: Client, track: Track, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STREAM_SENDFILE = "x-accel-redirect"
    response = client.get(stream_url(track), HTTP_ACCEPT="audio/*")
    assert response.status_code == 401
    assert "X-Accel-Redirect" not in response


# --- Cover art ---------------------------------------------------------------------------------


def test_cover_art_is_served_as_jpeg_with_cache_headers(listener: Client, track: Track) -> None:
    MediaFile.objects.filter(track=track).update(cover=b"\xff\xd8\xff\xe0fake-jpeg")
    response = listener.get(reverse("stream:cover", args=[track.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age" in response["Cache-Control"]
    assert response.content == b"\xff\xd8\xff\xe0fake-jpeg"
    assert (
        listener.get(
            reverse("stream:cover", args=[track.pk]), HTTP_IF_NONE_MATCH=response["ETag"]
        ).status_code
        == 304
    )


def test_track_without_cover_art_is_404(listener: Client, track: Track) -> None:
    assert listener.get(reverse("stream:cover", args=[track.pk])).status_code == 404


def test_cover_art_needs_a_session_or_link(client: Client, track: Track) -> None:
    MediaFile.objects.filter(track=track).update(cover=b"\xff\xd8jpeg")
    assert client.get(reverse("stream:cover", args=[track.pk]), HTTP_ACCEPT="image/*").status_code == 401


# --- The playlist page's rows feed the player ------------------------------------------------


def test_playlist_rows_carry_what_the_player_needs(listener: Client, owner: User, track: Track) -> None:
    MediaFile.objects.filter(track=track).update(cover=b"\xff\xd8jpeg")
    silent = TrackFactory(title="No Audio")
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[track, silent])

    html = listener.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "data-player-queue" in html and 'data-listening="true"' in html
    assert f'data-stream-url="{stream_url(track)}"' in html
    assert f'data-cover-url="{reverse("stream:cover", args=[track.pk])}"' in html
    assert f'data-playlist-id="{playlist.pk}"' in html and 'data-version="1"' in html
    assert 'data-title="Sine"' in html and 'data-duration-ms="2000"' in html
    assert html.count("data-player-play ") + html.count("data-player-play>") == 1  # only the playable row
    assert "Not playable" in html
    assert 'id="player"' in html and 'hx-preserve="true"' in html


def test_without_listening_consent_the_queue_says_so(listener: Client, owner: User, track: Track) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[track])

    html = listener.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert 'data-listening="false"' in html
