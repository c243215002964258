"""The listener's pages as a person meets them (issue 19): landing, favicon, skip link, menu,
Enter to submit, readable reasons, plain-word sliders, per-track edits, version diffs."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


# --- 12: favicon, skip link, Enter submits -------------------------------------------------


def test_favicon_is_a_real_icon_served_at_the_root(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)


def test_every_page_has_a_skip_link_to_the_main_content(browser: Client) -> None:
    html = browser.get(reverse("playlists:home")).content.decode()
    assert '<a class="skip-link" href="#content">Skip to content</a>' in html
    assert 'id="content"' in html
    assert 'rel="icon"' in html


def test_the_prompt_box_submits_on_enter(browser: Client) -> None:
    html = browser.get(reverse("playlists:home")).content.decode()
    assert "data-enter-submits" in html
    assert "Press Enter" in html


# --- 11: the phone menu ----------------------------------------------------------------------


def test_the_header_has_an_accessible_menu_button_for_the_nav(browser: Client) -> None:
    html = browser.get(reverse("playlists:home")).content.decode()
    assert 'class="nav-toggle" aria-expanded="false" aria-controls="site-menu"' in html
    assert 'id="site-menu"' in html


# --- 1: landing ------------------------------------------------------------------------------


def test_a_logged_out_visit_to_the_root_shows_the_landing_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Segue makes the playlist" in html
    assert reverse("accounts:signup") in html
    assert "For example" in html and "rainy sunday acoustic" in html


def test_a_signed_in_visit_to_the_root_goes_to_the_playlists(browser: Client) -> None:
    response = browser.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("playlists:home")
