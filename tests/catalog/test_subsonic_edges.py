"""Subsonic edges: a real worker runs the import and analysis; malformed, slow and vanishing
answers; the client's authentication methods and answer parsing (pure)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from accounts.models import User
from catalog.models import LibraryScan, MediaFile, SubsonicAccount
from catalog.subsonic.client import (
    Credentials,
    ServerInfo,
    SubsonicAuthError,
    SubsonicClient,
    SubsonicError,
    auth_mode_choose,
    parse_response,
)
from catalog.subsonic.mapping import song_from_child
from catalog.subsonic_services import subsonic_source_add, subsonic_sync_request, subsonic_sync_run
from config.errors import ApplicationError
from config.jobs import JobStatus
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SupysonicPeer
from tests.waiting import wait_until
from tests.workers import celery_worker_process

# --- pure: the client --------------------------------------------------------------------------


def _query(client: SubsonicClient) -> dict[str, str]:
    return {key: str(value) for key, value in client._params(None)}


def test_token_auth_sends_a_salted_md5_and_never_the_password() -> None:
    client = SubsonicClient("http://server", Credentials("ann", password="sesame"), auth_mode="token")
    query = _query(client)
    assert query["t"] == hashlib.md5(("sesame" + query["s"]).encode()).hexdigest()
    assert "p" not in query and "sesame" not in str(query)
    assert query["v"] == "1.16.1"


def test_api_key_auth_sends_only_the_key() -> None:
    client = SubsonicClient("http://server", Credentials("", api_key="k-123"), auth_mode="api_key")
    query = _query(client)
    assert query["apiKey"] == "k-123" and "u" not in query and "t" not in query


def test_legacy_auth_is_the_hex_encoded_password_for_old_servers() -> None:
    client = SubsonicClient("http://server", Credentials("ann", password="sesame"), auth_mode="password")
    assert _query(client)["p"] == "enc:" + b"sesame".hex()


@pytest.mark.parametrize(
    ("version", "extensions", "credentials", "expected"),
    [
        ("1.12.0", (), Credentials("a", password="p"), "password"),
        ("1.16.1", (), Credentials("a", password="p"), "token"),
        ("1.16.1", ("apiKeyAuthentication",), Credentials("", api_key="k"), "api_key"),
    ],
)
def test_auth_mode_follows_what_the_server_speaks(
    version: str, extensions: tuple[str, ...], credentials: Credentials, expected: str
) -> None:
    assert (
        auth_mode_choose(ServerInfo(version, "", "", bool(extensions), extensions), credentials) == expected
    )


def test_api_key_on_a_server_without_the_extension_is_refused() -> None:
    with pytest.raises(SubsonicError, match="does not accept API keys"):
        auth_mode_choose(ServerInfo("1.16.1", "", "", True, ()), Credentials("", api_key="k"))


def test_xml_answers_read_like_json() -> None:
    body = parse_response(
        b'<?xml version="1.0"?>'
        b'<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.12.0">'
        b'<album id="a1" name="Blue" songCount="2"><song id="s1" title="One" duration="61" year="1999"/>'
        b'<song id="s2" title="Two"/></album></subsonic-response>',
        "text/xml",
    )
    assert body["album"]["name"] == "Blue"
    assert [song["id"] for song in body["album"]["song"]] == ["s1", "s2"]
    song = song_from_child(body["album"]["song"][0])
    assert song is not None and song.duration_ms == 61000 and song.year == 1999


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"subsonic-response": ', "malformed JSON"),
        (b"<subsonic-response><unclosed>", "malformed XML"),
        (b"<html>hello</html>", "not a Subsonic response"),
        (b"plain text", "not a Subsonic response"),
    ],
)
def test_malformed_answers_are_clear_errors(content: bytes, message: str) -> None:
    with pytest.raises(SubsonicError, match=message):
        parse_response(content, "text/plain")


def test_wrong_credentials_error_code_is_an_auth_error() -> None:
    with pytest.raises(SubsonicAuthError):
        parse_response(
            b'{"subsonic-response": {"status": "failed", "version": "1.16.1", '
            b'"error": {"code": 40, "message": "Wrong username or password"}}}',
            "application/json",
        )


# --- a local server that misbehaves (a real socket, not a mock) ---------------------------------


@pytest.fixture
def bad_server() -> Iterator[Callable[[bytes, float], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: bytes, delay: float = 0.0) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_a_server_answering_malformed_json_is_refused_with_the_reason(
    bad_server: Callable[[bytes, float], str],
) -> None:
    url = bad_server(b'{"subsonic-response": {"status": "ok", "version": ', 0.0)
    with pytest.raises(ApplicationError, match="does not answer like a Subsonic server"):
        subsonic_source_add(base_url=url, username="u", password="p")
    assert not SubsonicAccount.objects.exists()


@pytest.mark.django_db
def test_a_slow_server_times_out_with_the_reason(bad_server: Callable[[bytes, float], str], settings) -> None:  # type: ignore[no-untyped-def]
    settings.SUBSONIC_TIMEOUT_SECONDS = 0.5
    url = bad_server(b'{"subsonic-response": {"status": "ok", "version": "1.16.1"}}', 3.0)
    with pytest.raises(ApplicationError, match="did not answer in time"):
        subsonic_source_add(base_url=url, username="u", password="p")


def test_the_client_answers_nothing_bigger_than_its_bound(bad_server: Callable[[bytes, float], str]) -> None:
    url = bad_server(b'{"subsonic-response": {"status": "ok", "padding": "' + b"x" * 5000 + b'"}}', 0.0)
    with (
        SubsonicClient(
            url, Credentials("u", password="p"), auth_mode="token", max_response_bytes=1000
        ) as client,
        pytest.raises(SubsonicError, match="larger than"),
    ):
        client.ping()


# --- against Supysonic --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_album_that_disappears_mid_sync_is_reported_and_the_sync_finishes(
    peer_factory: Callable[[], SupysonicPeer], staff_user: User
) -> None:
    peer = peer_factory()
    source = subsonic_source_add(base_url=peer.base_url, username=PEER_USER, password=PEER_PASSWORD)
    scan = subsonic_sync_request(source_id=source.pk, enqueue=False)
    removed: list[bool] = []

    def remove_the_last_album(progress: object) -> None:
        if not removed:
            (peer.music / "The Runners/Fast Lane/01 Sprint.mp3").unlink()
            peer.rescan()
            removed.append(True)

    finished = subsonic_sync_run(scan_id=scan.pk, analyse=False, on_progress=remove_the_last_album)
    assert finished is not None and finished.status == JobStatus.SUCCEEDED, finished.error
    assert finished.files_failed == 1
    assert "gone from the server" in finished.failures[0]["reason"]
    assert not MediaFile.objects.filter(track__title="Sprint").exists()


@pytest.fixture
def subsonic_worker(transactional_db: None, tmp_path: Path) -> Iterator[object]:
    with celery_worker_process(log_dir=tmp_path, queues=["celery", "library", "analysis"]) as worker:
        yield worker


def test_a_real_worker_imports_the_server_and_analyses_its_songs_through_it(
    subsonic_worker: object, subsonic_peer: SupysonicPeer
) -> None:
    source = subsonic_source_add(
        base_url=subsonic_peer.base_url, username=PEER_USER, password=PEER_PASSWORD, sync=True
    )
    wait_until(
        lambda: LibraryScan.objects.filter(source=source, status=JobStatus.SUCCEEDED).exists(), timeout=120
    )
    wait_until(
        lambda: MediaFile.objects.filter(source=source, analysed_at__isnull=False).count() == 3, timeout=300
    )
    assert not MediaFile.objects.filter(source=source).exclude(analysis_error="").exists()
