"""The media-server journey of issue 18's "Done when", on a folder of real music, with the time of
each step: a real Supysonic serves ``--music DIR``; staff link it as a library; it imports (with
progress); its songs are analysed through the server's stream and embedded; a listener links
their own server account, makes a playlist from a prompt, plays it in a real browser (Debian
chromium) through Segue's stream URL; the plays are scrobbled to the server; the playlist pushed
to their account shows in ``getPlaylists``; a second listener sees none of it.

    .venv/bin/python scripts/check_subsonic_journey.py --music /path/to/music [--prompt TEXT]

Runs against a throwaway database (``segue_journey``, dropped at the end) on the embedded
PostgreSQL and Redis (database 14), with the test settings; nothing of the dev data is touched.
Exit status 0 when every check held. Needs ffmpeg-readable audio, the Supysonic test peer
(``make supysonic-peer``), chromium and Playwright's Python client (``make system-deps``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
PASSWORD = "journey-pass-31"
REDIS_DATABASE = 14
CHROMIUM = os.environ.get("SEGUE_CHROMIUM", "/usr/bin/chromium")


class JourneyFailed(Exception):
    pass


def check(condition: object, what: str) -> None:
    if not condition:
        raise JourneyFailed(what)
    print(f"  ok  {what}")


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    from tests.waiting import wait_for as poll

    try:
        return poll(condition, timeout=timeout, what=what)
    except AssertionError as timed_out:
        raise JourneyFailed(str(timed_out)) from None


class Timings:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[dict[str, str]]:
        print(f"\n== {name}")
        note: dict[str, str] = {"note": ""}
        started = time.monotonic()
        yield note
        self.rows.append((name, time.monotonic() - started, note["note"]))

    def print(self) -> None:
        print("\nStep                                   seconds  result")
        for name, seconds, note in self.rows:
            print(f"{name:<38} {seconds:7.1f}  {note}")


def setup_django() -> None:
    from config import embedded

    os.environ.setdefault("TEST_REDIS_URL", embedded.redis_ensure(database=REDIS_DATABASE))
    import django

    django.setup()
    quiet_logs()


def quiet_logs() -> None:
    """Only errors from the task runner and the requests (a stranger's 404 is expected here)."""
    for name in ("celery.app.trace", "django.request", "django.server", "sentence_transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def throwaway_database() -> Iterator[None]:
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})["NAME"] = "segue_journey"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        with connection.cursor() as cursor:  # the live server's threads may still hold sessions
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


@contextmanager
def live_server() -> Iterator[str]:
    """Segue's WSGI app (static files too) on a free local port, in threads of this process."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    quiet_logs()  # get_wsgi_application() set the logging up again
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def users() -> tuple[Any, Any, Any]:
    from accounts.models import ConsentPurpose, Role
    from accounts.services import consent_record_choices, user_create

    made = []
    for email, role in (
        ("staff@journey.example", Role.STAFF),
        ("listener@journey.example", Role.LISTENER),
        ("second@journey.example", Role.LISTENER),
    ):
        user = user_create(email=email, password=PASSWORD, role=role)
        consent_record_choices(user=user, choices=dict.fromkeys(ConsentPurpose.values, True))
        made.append(user)
    return made[0], made[1], made[2]


def import_library(peer: Any, staff: Any, timings: Timings) -> Any:
    from catalog.models import LibraryScan
    from catalog.subsonic_services import subsonic_source_add, subsonic_sync_request, subsonic_sync_run
    from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER

    with timings.step("link the server (staff)") as note:
        source = subsonic_source_add(
            base_url=peer.base_url, username=PEER_USER, password=PEER_PASSWORD, name="Home server", user=staff
        )
        account = source.subsonic_account
        note["note"] = (
            f"{account.server_type or 'server'} API {account.api_version}, {account.auth_mode} auth"
        )
        print(f"  {note['note']}")
    with timings.step("import the library") as note:
        scan = subsonic_sync_request(source_id=source.pk, enqueue=False)

        def progress(scan: LibraryScan) -> None:
            print(f"  progress: {scan.files_seen} of {scan.files_total} songs", flush=True)

        finished = subsonic_sync_run(scan_id=scan.pk, analyse=False, on_progress=progress)
        if finished is None or finished.status != "succeeded":
            raise JourneyFailed(f"the import did not succeed: {finished.error if finished else 'not run'}")
        check(finished.files_new > 0, f"the import succeeded: {finished.files_new} new songs")
        note["note"] = f"{finished.files_new} songs imported"
    return source


def analyse_and_embed(source: Any, timings: Timings) -> None:
    from django.conf import settings

    from catalog.embedding_services import track_embed_pending
    from catalog.models import MediaFile, Track
    from catalog.subsonic_services import subsonic_file_analyse

    with timings.step("analyse through the server's stream") as note:
        files = list(MediaFile.objects.filter(source=source).order_by("pk").values_list("pk", flat=True))
        for index, media_file_id in enumerate(files, 1):
            subsonic_file_analyse(media_file_id=media_file_id)
            if index % 10 == 0 or index == len(files):
                print(f"  analysed {index} of {len(files)}", flush=True)
        analysed = MediaFile.objects.filter(source=source, analysed_at__isnull=False).count()
        failed = MediaFile.objects.filter(source=source, analysed_at__isnull=True).exclude(analysis_error="")
        for media_file in failed[:5]:
            print(f"  not analysed: {media_file.path}: {media_file.analysis_error}")
        check(analysed == len(files), f"{analysed} of {len(files)} songs analysed")
        rate = settings.SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND
        note["note"] = f"{analysed} songs (excerpts, at most {rate:g} requests/s)"
    with timings.step("embed (text model loaded)") as note:
        embedded = 0
        while batch := track_embed_pending(limit=256):
            embedded += batch
        tracks = Track.objects.filter(media_files__source=source)
        check(
            not tracks.filter(embedding__isnull=True).exists(), f"every imported track embedded ({embedded})"
        )
        note["note"] = f"{embedded} tracks"


def make_playlist(listener: Any, prompt: str, size: int, timings: Timings) -> Any:
    from playlists.models import PlaylistVersion, VersionStatus
    from playlists.services import playlist_create

    with timings.step("playlist from a prompt") as note:
        playlist = playlist_create(owner=listener, prompt=prompt, size=size)  # generated on commit (eager)
        version = (
            PlaylistVersion.objects.filter(playlist=playlist, status=VersionStatus.READY)
            .order_by("-number")
            .first()
        )
        if version is None:
            failed = playlist.versions.order_by("-number").first()
            raise JourneyFailed(f"“{prompt}” made no playlist: {failed.error if failed else 'no version'}")
        print(f"  ok  “{prompt}” made a ready version")
        count = version.items.count()
        check(count > 0, f"the playlist holds {count} tracks")
        note["note"] = f"{count} tracks for “{prompt}”"
    return playlist


def signed_in(browser: Any, base_url: str, email: str) -> Any:
    page = browser.new_context(base_url=base_url).new_page()
    page.set_default_timeout(30_000)
    page.goto("/accounts/login/")
    page.fill("input[type=email]", email)
    page.fill("input[type=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def player_state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const audio = document.querySelector('#player audio');
                   return {time: audio.currentTime, src: audio.currentSrc, paused: audio.paused}; }"""
    )


def play_in_browser(browser: Any, base_url: str, peer: Any, playlist: Any, timings: Timings) -> None:
    from feedback.models import ListeningEvent

    with timings.step("play in the browser through Segue") as note:
        page = signed_in(browser, base_url, "listener@journey.example")
        page.goto(f"/playlists/{playlist.pk}/")
        page.click("[data-player-play-all]:not([data-shuffle])")
        first = wait_for(
            lambda: (state := player_state(page))["time"] > 0.5 and state, timeout=30, what="playback"
        )
        time.sleep(3)
        later = player_state(page)
        check(
            later["time"] > first["time"] + 1.5,
            f"currentTime advances {first['time']:.2f} → {later['time']:.2f} s",
        )
        check(
            "/tracks/" in later["src"] and peer.base_url not in later["src"],
            "played through Segue's stream URL",
        )
        note["note"] = f"currentTime {first['time']:.2f} → {later['time']:.2f} s"
    with timings.step("scrobble forwarded to the server") as note:
        before = len(peer.listens.listens())
        # Seek to the last seconds: the song ends, its "complete" is a scrobble with submission=true.
        page.evaluate(
            "() => { const audio = document.querySelector('#player audio');"
            " audio.currentTime = Math.max(0, audio.duration - 2); }"
        )
        listens = wait_for(
            lambda: peer.listens.listens()[before:],
            timeout=60,
            what="a scrobble reaching the server",
        )
        events = ListeningEvent.objects.filter(user__email="listener@journey.example").count()
        title = listens[-1]["track_metadata"]["track_name"]
        check(listens, f"the server forwarded a listen of “{title}” ({events} events stored in Segue)")
        note["note"] = f"“{title}” scrobbled"
    page.context.close()


def push_and_isolation(
    browser: Any, base_url: str, peer: Any, playlist: Any, link: Any, timings: Timings
) -> None:
    from playlists.services import playlist_push
    from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SECOND_PASSWORD, SECOND_USER

    with timings.step("push to the listener's account") as note:
        push = playlist_push(playlist=playlist, link=link)
        remote = peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)["playlists"]
        names = [item["name"] for item in remote.get("playlist", [])]
        check(playlist.name in names, f"getPlaylists of the listener's account shows “{playlist.name}”")
        others = peer.api("getPlaylists", user=PEER_USER, password=PEER_PASSWORD)["playlists"]
        check(
            push.remote_playlist_id not in {str(item["id"]) for item in others.get("playlist", [])},
            "not in the library account's playlists",
        )
        note["note"] = f"{push.songs_pushed} songs pushed, visible in getPlaylists"
    with timings.step("a second listener sees nothing") as note:
        page = signed_in(browser, base_url, "second@journey.example")
        servers = page.goto("/taste/servers/")
        check(
            servers is not None and servers.status == 200 and SECOND_USER not in page.content(),
            "servers page: no link",
        )
        for path in (f"/playlists/{playlist.pk}/", f"/taste/servers/links/{link.pk}/"):
            response = page.goto(path)
            check(response is not None and response.status == 404, f"{path} is a 404")
        note["note"] = "no link, playlist or push visible"
        page.context.close()


def journey(music: Path, prompt: str, size: int) -> int:
    from playwright.sync_api import sync_playwright

    from catalog.subsonic_services import subsonic_link_add
    from config.celery import app as celery_app
    from tests.catalog.subsonic_peer import SECOND_PASSWORD, SECOND_USER, peer_create

    timings = Timings()
    with TemporaryDirectory(prefix="segue-journey-") as workdir:
        with timings.step("start Supysonic over the folder") as note:
            peer = peer_create(Path(workdir), music)
            note["note"] = f"{sum(1 for _ in music.rglob('*') if _.is_file())} files in {music}"
        try:
            with throwaway_database():
                staff, listener, _second = users()
                source = import_library(peer, staff, timings)
                analyse_and_embed(source, timings)
                link = subsonic_link_add(
                    user=listener, source_id=source.pk, username=SECOND_USER, password=SECOND_PASSWORD
                )
                # From here tasks run in this process (generation, scrobbles), as a worker would.
                celery_app.conf.task_always_eager = True
                playlist = make_playlist(listener, prompt, size, timings)
                with live_server() as base_url, sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM,
                        args=["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
                    )
                    try:
                        play_in_browser(browser, base_url, peer, playlist, timings)
                        push_and_isolation(browser, base_url, peer, playlist, link, timings)
                    finally:
                        browser.close()
        except JourneyFailed as failure:
            timings.print()
            print(f"\nFAILED: {failure}")
            return 1
        finally:
            peer.close()
            celery_app.control.purge()
    timings.print()
    print("\nEvery step of the journey held.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--music", type=Path, required=True, help="a folder of tagged audio files")
    parser.add_argument("--prompt", default="epic orchestral battle music")
    parser.add_argument("--size", type=int, default=8)
    args = parser.parse_args()
    if not args.music.is_dir():
        parser.error(f"{args.music} is not a folder")
    setup_django()
    return journey(args.music.resolve(), args.prompt, args.size)


if __name__ == "__main__":
    sys.exit(main())
