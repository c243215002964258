"""A new listener's journey in a real browser (Debian's chromium driven by Playwright) against a
live server and a real Celery worker with the real text model: the landing page, sign-up with
the e-mailed link, the consent and taste steps, a first playlist typed and sent with Enter, a
one-click refinement, a track replaced, and the export downloaded — at phone and desktop width.

Every page must have a title, log no console error and overflow the viewport sideways nowhere;
the screenshots land in ``test-screenshots/`` (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse

from accounts.models import User
from accounts.services import policy_ensure_initial
from catalog import embedding_services as catalog_embedding_services
from catalog import services as catalog_services
from catalog.models import LibrarySource
from config.celery import app as celery_app
from feedback.selectors import disliked_tracks
from tests.e2e.conftest import CHROMIUM, SCREENSHOTS, assert_page_reads_well, screenshot
from tests.e2e.test_player import audio_track
from tests.playlists.factories import playlist_make, version_make

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.model,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not __import__("shutil").which(CHROMIUM),
        reason=f"no chromium at {CHROMIUM}: `make system-deps` (as root) installs Debian's chromium",
    ),
]

PASSWORD = "a-long-and-unusual-passphrase-77"
GENERATION_TIMEOUT_MS = 120_000


@pytest.fixture
def demo_catalog(transactional_db: None) -> None:
    # An earlier test on a committed database flushed the migration's initial policy, which
    # the sign-up's consent step answers to.
    policy_ensure_initial()
    catalog_services.catalog_demo_load(count=300, seed=5)
    # The load queues the real embedding task; the tracks are embedded here instead, and the
    # queued task is dropped from the test broker so no later test's worker picks it up.
    celery_app.control.purge()
    catalog_embedding_services.catalog_embed_all(batch_size=256)


def _confirm_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/signup/confirm/\S+/)", body)
    assert match, body
    return match.group(1)


def _rendered_opacity(locator: Any) -> float:
    """The opacity an element is drawn with: its own times every ancestor's."""
    return float(
        locator.evaluate(
            "el => { let o = 1;"
            " for (let e = el; e; e = e.parentElement) o *= +getComputedStyle(e).opacity;"
            " return o; }"
        )
    )


def _wait_for_version(page: Any, number: int) -> None:
    """The page reloads itself (HX-Refresh) when the version it waits for is done."""
    page.wait_for_function(
        """(number) => {
          const meta = document.querySelector('.playlist-header .track-meta');
          return meta && meta.textContent.includes('Version ' + number)
            && document.querySelectorAll('.playlist-item').length > 0
            && !document.querySelector('#progress .generating');
        }""",
        arg=number,
        timeout=GENERATION_TIMEOUT_MS,
    )


@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 900)], ids=["phone", "desktop"])
def test_a_new_listener_signs_up_makes_refines_edits_and_exports_a_playlist(
    chromium: Any, live_server: Any, celery_worker: object, demo_catalog: None, width: int, height: int
) -> None:
    try:
        _journey(chromium, live_server, width, height)
    finally:
        # Reads under Playwright's sync API use a connection of their own context: close it here.
        connections.close_all()


def _journey(chromium: Any, live_server: Any, width: int, height: int) -> None:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    size = "phone" if width < 700 else "desktop"

    def check(step: str) -> None:
        page.wait_for_load_state("networkidle")
        assert_page_reads_well(page, errors)
        screenshot(page, f"listener-{size}-{step}")

    # The landing page says what Segue does, with an example, and leads to sign-up.
    page.goto("/")
    assert "Segue makes the playlist" in page.inner_text("main")
    check("01-landing")
    page.click("main >> text=Sign up")
    page.wait_for_url(lambda url: url.endswith(reverse("accounts:signup")))
    email = f"journey.{size}@example.com"
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Journey")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    check("02-signup")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Check your e-mail")

    # The link from the e-mail (Django's test outbox), then a button (mail scanners follow links).
    (message,) = [sent for sent in mail.outbox if sent.to == [email]]
    page.goto(_confirm_path(message.body))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "onboarding/consents" in url)
    for purpose, answer in (("personalization", "yes"), ("listening_history", "yes"), ("experiments", "no")):
        page.check(f"input[name={purpose}][value={answer}]")
    check("03-consents")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "onboarding/taste" in url)
    check("04-taste")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(reverse("playlists:home")))

    # The first playlist: typed, sent with Enter.
    page.fill(".prompt-form textarea", "calm jazz for a rainy evening")
    check("05-prompt")
    page.press(".prompt-form textarea", "Enter")
    page.wait_for_url(re.compile(r"/playlists/\d+/$"))
    _wait_for_version(page, 1)
    # A generated title, not the prompt with a capital letter.
    title = page.inner_text("h1")
    assert page.title() == f"{title} · Segue" and title != "Calm jazz for a rainy evening"
    assert page.locator(".score-meter").count() == 0  # no raw score bars unless asked
    check("06-first-playlist")

    # The phone menu opens from its button and shows the nav.
    if width < 700:
        assert not page.is_visible("nav.site-nav")
        page.click(".nav-toggle")
        assert page.is_visible("nav.site-nav >> text=Your taste")
        assert page.get_attribute(".nav-toggle", "aria-expanded") == "true"
        check("07-menu")
        page.click(".nav-toggle")
        player_buttons = page.locator(".player-controls .player-button")
        assert player_buttons.count() == 0 or all(
            (box := player_buttons.nth(index).bounding_box()) is None or box["height"] >= 44
            for index in range(player_buttons.count())
        )

    # A one-click refinement makes version 2, which says what changed.
    page.click(".refine-chips button >> text=more upbeat")
    _wait_for_version(page, 2)
    assert page.locator(".version-change-note").count() == 1
    check("08-refined")

    # A dislike shows its Undo at once (htmx swaps the row's actions); undoing takes it back.
    last = page.locator(".playlist-item").last
    disliked = int(last.get_attribute("data-track-id") or 0)
    last.locator("button[data-kind=dislike]").click()
    last.locator("button.feedback-undo").wait_for()
    page.wait_for_selector(f".playlist-item.is-dismissed[data-track-id='{disliked}']")  # once htmx settled
    assert disliked_tracks(user=User.objects.get(email=email)) == {disliked}
    assert _rendered_opacity(last.locator("button.feedback-undo")) == 1.0  # the row dims, its Undo does not
    check("08b-disliked")
    last.locator("button.feedback-undo").click()
    last.locator("button[data-kind=dislike]").wait_for()
    page.wait_for_selector(f".playlist-item:not(.is-dismissed)[data-track-id='{disliked}']")
    assert "Dislike undone" in last.inner_text()
    assert disliked_tracks(user=User.objects.get(email=email)) == frozenset()

    # Replace the first track: version 3, the old track gone and a new one in its place.
    first_title = page.inner_text(".playlist-item >> nth=0 >> .track-title")
    page.click(".playlist-item >> nth=0 >> .track-edit summary")
    page.click(".playlist-item >> nth=0 >> button[data-track-edit=replace]")
    page.wait_for_selector(f"text=Replaced “{first_title}”")
    _wait_for_version(page, 3)
    assert page.inner_text(".playlist-item >> nth=0 >> .track-title") != first_title
    assert "What changed since version 2: 1 added, 1 removed." in page.inner_text(".playlist-header")
    check("09-replaced")

    # Drag and drop (the pointer way to reorder; the keyboard way is Move up / Move down).
    if width >= 700:
        dragged = page.inner_text(".playlist-item >> nth=0 >> .track-title")
        page.locator(".playlist-item >> nth=0").drag_to(page.locator(".playlist-item >> nth=2"))
        page.wait_for_selector(f"text=Moved “{dragged}” to 3")
        assert page.inner_text(".playlist-item >> nth=2 >> .track-title") == dragged

    # Regenerate brings fresh tracks that still fit, and the new version says how many changed.
    meta = page.inner_text(".playlist-header .track-meta")
    current = int(re.search(r"Version (\d+)", meta).group(1))  # type: ignore[union-attr]
    page.click(".playlist-actions button >> text=Regenerate")
    _wait_for_version(page, current + 1)
    note = page.inner_text(".version-change-note")
    changed = re.search(r"(\d+) added, (\d+) removed", note)
    assert changed and int(changed.group(1)) > 0, note
    check("10-regenerated")

    # Export: the playlist file downloads.
    with page.expect_download() as download_info:
        page.click(".export-links a >> nth=0")
    download = download_info.value
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.strip()
    assert any(title in content for title in page.locator(".playlist-item .track-title").all_inner_texts())
    context.close()


@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 900)], ids=["phone", "desktop"])
def test_the_player_bar_plays_and_is_usable_by_thumb(
    chromium: Any, live_server: Any, owner: User, user_password: str, tmp_path: Path, width: int, height: int
) -> None:
    try:
        _player(chromium, live_server, owner, user_password, tmp_path, width, height)
    finally:
        connections.close_all()


def _player(
    chromium: Any, live_server: Any, owner: User, user_password: str, tmp_path: Path, width: int, height: int
) -> None:
    root = tmp_path / "music"
    root.mkdir()
    music = LibrarySource.objects.create(name="Test music", root=str(root))
    tracks = [
        audio_track(music, title, 6.0, 330.0 + 110 * n) for n, title in enumerate(("Dawn", "Noon", "Dusk"))
    ]
    playlist = playlist_make(owner=owner, prompt="sine waves for testing")
    version_make(playlist, tracks=tracks)
    connections.close_all()

    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(reverse("accounts:login"))
    page.fill("input[type=email]", owner.email)
    page.fill("input[type=password]", user_password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(reverse("playlists:detail", args=[playlist.pk]))
    page.click("[data-player-play-all]:not([data-shuffle])")
    page.wait_for_function("() => document.querySelector('#player audio').currentTime > 0.5")
    page.wait_for_load_state("networkidle")
    assert_page_reads_well(page, errors)
    buttons = page.locator("#player .player-controls .player-button")
    boxes = [buttons.nth(index).bounding_box() for index in range(buttons.count())]
    assert len(boxes) == 4 and all(box is not None and box["x"] + box["width"] <= width for box in boxes)
    if width < 700:
        assert all(box is not None and box["width"] >= 44 and box["height"] >= 44 for box in boxes)
    size = "phone" if width < 700 else "desktop"
    screenshot(page, f"listener-{size}-player")
    page.screenshot(path=str(SCREENSHOTS / f"listener-{size}-player-viewport.png"))
    context.close()
