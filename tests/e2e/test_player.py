"""The player in a real browser: Debian's chromium driven by Playwright against a live server.

A listener signs in, plays a playlist whose tracks are real audio files, moves on, lets a short
track play out, seeks, and moves to another page while the music keeps playing; the events the
browser sends are read back from the database.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from accounts.models import User
from catalog.models import LibrarySource, Track
from feedback.models import ListeningEvent
from playlists.models import Playlist
from tests.catalog.audio_files import media_file_make, sine_write
from tests.catalog.factories import TrackFactory
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.playlists.factories import playlist_make, version_make
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"no chromium at {CHROMIUM}: `make system-deps` (as root) installs Debian's chromium",
    ),
]


@pytest.fixture
def browser_page(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM reads are
    # still synchronous, so Django's async-safety guard must not trip on them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=live_server.url)
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()
    _wait_for_server_connections_to_close()


def _wait_for_server_connections_to_close() -> None:
    """The live server's request threads close their database connections when their (kept-alive)
    browser connections end; wait for that, so the test database can be dropped afterwards."""

    def others() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return int(cursor.fetchone()[0])

    wait_for(lambda: others() == 0, timeout=10, what="the live server's database connections to close")


@pytest.fixture
def music(tmp_path: Path, transactional_db: None) -> LibrarySource:
    root = tmp_path / "music"
    root.mkdir()
    return LibrarySource.objects.create(name="Test music", root=str(root))


def audio_track(source: LibrarySource, title: str, seconds: float, frequency: float) -> Track:
    track = TrackFactory(title=title, duration_ms=int(seconds * 1000), artists=["Sine Ensemble"])
    sine_write(Path(source.root) / "Sine Ensemble" / f"{title}.wav", seconds=seconds, frequency=frequency)
    media_file_make(
        source=source, track=track, relative=f"Sine Ensemble/{title}.wav", duration_ms=int(seconds * 1000)
    )
    return track


@pytest.fixture
def playlist(owner: User, music: LibrarySource) -> Playlist:
    """Four rows: a long track, one without audio, a short one, then one to seek in."""
    tracks = [
        audio_track(music, "Long Tone", 8.0, 330.0),
        TrackFactory(title="Only Metadata"),
        audio_track(music, "Short Tone", 3.0, 440.0),
        audio_track(music, "Seek Tone", 8.0, 550.0),
    ]
    playlist = playlist_make(owner=owner, prompt="sine waves for testing")
    version_make(playlist, tracks=tracks)
    return playlist


def stored(user: User, kind: str, title: str | None = None) -> list[ListeningEvent]:
    """The listener's stored events of a kind (of one track). The connection is closed again: under
    Playwright's sync API, reads made in the test body use a connection of their own context,
    which nothing else would close before the test database is dropped."""
    try:
        rows = ListeningEvent.objects.filter(user=user, kind=kind).select_related("track")
        return [event for event in rows if title is None or event.track.title == title]
    finally:
        connections.close_all()


def player_state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const audio = document.querySelector('#player audio');
          return {time: audio.currentTime, paused: audio.paused, src: audio.currentSrc,
                  title: document.querySelector('#player .player-title').textContent};
        }"""
    )


def test_listener_plays_skips_completes_and_seeks_with_events_stored(
    browser_page: Any, live_server: Any, owner: User, user_password: str, playlist: Playlist
) -> None:
    version_id = playlist.versions.get().pk
    page = browser_page
    stream_statuses: list[int] = []
    page.on(
        "response", lambda response: "/stream" in response.url and stream_statuses.append(response.status)
    )

    page.goto(reverse("accounts:login"))
    page.fill("input[type=email]", owner.email)
    page.fill("input[type=password]", user_password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(reverse("playlists:detail", args=[playlist.pk]))
    assert page.locator(".playlist-item.is-unplayable").count() == 1
    page.click("[data-player-play-all]:not([data-shuffle])")

    # Audio plays: time advances on the first track, and its row is highlighted.
    wait_for(lambda: player_state(page)["time"] > 1.2, what="the first track to play")
    assert player_state(page)["title"] == "Long Tone"
    assert page.locator(".playlist-item.is-now-playing .track-title").inner_text() == "Long Tone"

    # Next: a skip with what was heard; the track without audio is passed over.
    page.click("#player [data-player-action=next]")
    wait_for(lambda: player_state(page)["title"] == "Short Tone", what="the short track")
    skip = wait_for(lambda: stored(owner, "skip", "Long Tone"), what="the skip event")[0]
    assert skip.ms_played is not None and 800 <= skip.ms_played < 8000
    assert skip.position_ms is not None and skip.position_ms >= skip.ms_played - 500
    assert (skip.version_id, skip.position) == (version_id, 1)
    assert not any(event.track.title == "Only Metadata" for event in stored(owner, "play"))

    # The short track plays to its end: a complete, then the queue goes on by itself.
    complete = wait_for(lambda: stored(owner, "complete", "Short Tone"), timeout=30, what="the complete")[0]
    assert complete.ms_played is not None and complete.ms_played >= 2000
    wait_for(lambda: player_state(page)["title"] == "Seek Tone", what="the queue to advance")
    wait_for(lambda: player_state(page)["time"] > 0.3, what="the last track to start")

    # Seeking through the seek bar lands where asked; the audio came by HTTP Range (206).
    page.evaluate(
        """() => {
          const bar = document.querySelector('#player .player-seekbar');
          bar.value = '5';
          bar.dispatchEvent(new Event('change'));
        }"""
    )
    wait_for(lambda: player_state(page)["time"] >= 5.0, what="the seek")
    assert 206 in stream_statuses

    # Keys (focus not in a field): Space pauses and resumes, ← seeks back 10 s.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Space")
    wait_for(lambda: player_state(page)["paused"], what="Space to pause")
    page.keyboard.press("Space")
    wait_for(lambda: not player_state(page)["paused"], what="Space to resume")
    page.keyboard.press("ArrowLeft")
    wait_for(lambda: player_state(page)["time"] < 2.0, what="← to seek back")

    # A boosted link swaps the page; the preserved player keeps playing the same audio.
    before = player_state(page)
    page.click("nav.site-nav >> text=Your taste")
    page.wait_for_url(lambda url: url.endswith(reverse("feedback:taste")))
    after = wait_for(
        lambda: (state := player_state(page))["time"] > before["time"] + 0.5 and state,
        what="music on the new page",
    )
    assert not after["paused"] and after["src"] == before["src"]
    # …and the taste page it landed on has learned from the real listening.
    assert "Short Tone" in page.inner_text("main")

    # Pausing, seeking and changing pages are not skips; Shift+← (previous) is.
    page.evaluate("() => window.SegueFeedback.flush()")
    assert stored(owner, "play", "Seek Tone")
    assert not stored(owner, "skip", "Seek Tone")
    page.keyboard.press("Shift+ArrowLeft")
    wait_for(lambda: player_state(page)["title"] == "Short Tone", what="previous")
    wait_for(lambda: stored(owner, "skip", "Seek Tone"), what="the skip of the seek track")

    plays = {event.track.title for event in stored(owner, "play")}
    assert {"Long Tone", "Short Tone"} <= plays
