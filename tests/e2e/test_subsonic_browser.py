"""A media server, as a new user meets it: staff add a real Supysonic in the browser, the library
imports in the background (a real worker), a listener links their own account, plays a playlist
through Segue, pushes it to their account and sees their plays scrobbled; a second listener sees
none of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.urls import reverse

from accounts.models import User
from catalog.models import LibraryScan, LibrarySource, SubsonicLink, SubsonicPush, Track
from config.jobs import JobStatus
from playlists.models import Playlist, PlaylistVersion, VersionStatus
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, SECOND_PASSWORD, SECOND_USER, SupysonicPeer
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_player import (
    _wait_for_server_connections_to_close,
    player_state,
    wait_for,
)
from tests.workers import celery_worker_process

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[object]:
    """Imports, pushes and scrobbles; the analysis queue is left out (librosa is not needed here)."""
    with celery_worker_process(log_dir=tmp_path, queues=["celery", "library"]) as running:
        yield running


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    import shutil

    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
    _wait_for_server_connections_to_close()


def _signed_in(browser: Any, live_server: Any, user: User, password: str) -> Any:
    page = browser.new_context(base_url=live_server.url).new_page()
    page.set_default_timeout(20_000)
    page.goto(reverse("accounts:login"))
    page.fill("input[type=email]", user.email)
    page.fill("input[type=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _read(query: Any) -> Any:
    try:
        return query()
    finally:
        connections.close_all()


def test_a_new_user_adds_a_server_plays_pushes_and_scrobbles_and_a_stranger_sees_nothing(
    browser: Any,
    live_server: Any,
    worker: object,
    subsonic_peer: SupysonicPeer,
    staff_user: User,
    owner: User,
    other_user: User,
    user_password: str,
) -> None:
    staff = _signed_in(browser, live_server, staff_user, user_password)
    staff.goto(reverse("catalog:libraries"))
    staff.fill("#id_subsonic_base_url", subsonic_peer.base_url)
    staff.fill("#id_subsonic_username", PEER_USER)
    staff.fill("#id_subsonic_password", PEER_PASSWORD)
    staff.fill("#id_subsonic_name", "Home server")
    staff.click("text=Add and import")
    source = wait_for(
        lambda: _read(lambda: LibrarySource.objects.filter(name="Home server").first()), what="source"
    )
    wait_for(
        lambda: _read(lambda: LibraryScan.objects.filter(source=source, status=JobStatus.SUCCEEDED).exists()),
        timeout=60,
        what="the import",
    )
    staff.goto(reverse("catalog:libraries"))
    assert "3 songs" in staff.inner_text("#library-sources")
    assert PEER_PASSWORD not in staff.content()

    listener = _signed_in(browser, live_server, owner, user_password)
    listener.goto(reverse("feedback:servers"))
    listener.fill(f"#id_s{source.pk}-username", SECOND_USER)
    listener.fill(f"#id_s{source.pk}-password", SECOND_PASSWORD)
    listener.click(f'form[action="/taste/servers/{source.pk}/link/"] button[type=submit]')
    wait_for(lambda: _read(lambda: SubsonicLink.objects.filter(user=owner).exists()), what="the link")

    # The songs are embedded by the worker; then a prompt makes a playlist of them.
    wait_for(
        lambda: _read(
            lambda: not Track.objects.filter(media_files__source=source, embedding__isnull=True).exists()
        ),
        timeout=120,
        what="the imported songs to be embedded",
    )
    listener.goto(reverse("playlists:home"))
    listener.fill("#id_prompt", "blue evening jazz")
    listener.fill("#id_size", "3")
    listener.click("text=Make my playlist")
    playlist = wait_for(
        lambda: _read(lambda: Playlist.objects.filter(owner=owner).first()), what="the playlist"
    )
    version = wait_for(
        lambda: _read(
            lambda: PlaylistVersion.objects.filter(playlist=playlist, status=VersionStatus.READY).first()
        ),
        timeout=120,
        what="the generated version",
    )
    first_title = _read(
        lambda: version.items.order_by("position").select_related("track").first().track.title
    )
    listener.goto(reverse("playlists:detail", args=[playlist.pk]))
    listener.click("text=Push to Home server")
    listener.wait_for_url(lambda url: url.endswith(reverse("playlists:detail", args=[playlist.pk])))
    names = [
        item["name"]
        for item in subsonic_peer.api("getPlaylists", user=SECOND_USER, password=SECOND_PASSWORD)[
            "playlists"
        ].get("playlist", [])
    ]
    # Pushed under the playlist's name: its generated title since the first version.
    assert _read(lambda: Playlist.objects.get(pk=playlist.pk).name) in names

    before = len(subsonic_peer.listens.listens())
    listener.click("[data-player-play-all]:not([data-shuffle])")
    wait_for(lambda: player_state(listener)["time"] > 1.0, what="a Subsonic song to play through Segue")
    assert (
        "/tracks/" in player_state(listener)["src"]
        and subsonic_peer.base_url not in player_state(listener)["src"]
    )
    # The first song (4 s) plays out: its completion is stored, and scrobbled to the server.
    wait_for(
        lambda: len(subsonic_peer.listens.listens()) > before, timeout=60, what="a scrobble on the server"
    )
    assert subsonic_peer.listens.listens()[before]["track_metadata"]["track_name"] == first_title

    stranger = _signed_in(browser, live_server, other_user, user_password)
    stranger.goto(reverse("feedback:servers"))
    assert SECOND_USER not in stranger.content()
    response = stranger.goto(reverse("playlists:detail", args=[playlist.pk]))
    assert response is not None and response.status == 404
    link = _read(lambda: SubsonicLink.objects.get(user=owner))
    response = stranger.goto(reverse("feedback:server_link", args=[link.pk]))
    assert response is not None and response.status == 404
    assert _read(lambda: SubsonicPush.objects.filter(user=other_user).count()) == 0
