"""Scheduled refreshes are told (issue 19): a notice on the home page for NOTICE_DAYS, dismissed on
the version itself (so on every device), and the playlist's refresh history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from playlists.models import Playlist, PlaylistVersion
from playlists.refresh_notices import NOTICE_DAYS, refresh_notices
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refreshed(owner: User, *, name: str = "Monday mix") -> tuple[Playlist, PlaylistVersion]:
    old = [TrackFactory(title=f"Old {n}") for n in range(3)]
    new = [TrackFactory(title=f"New {n}") for n in range(2)]
    playlist = playlist_make(owner=owner, prompt="monday mix", refresh="weekly", name=name)
    version_make(playlist, tracks=old)
    return playlist, version_make(playlist, tracks=[old[0], *new], cause="refresh")


def test_a_refresh_shows_a_notice_with_the_playlists_name_and_its_history(owner: User) -> None:
    playlist, _ = _refreshed(owner)
    browser = _signed_in(owner)

    home = browser.get(reverse("playlists:home")).content.decode()
    page = browser.get(reverse("playlists:detail", args=[playlist.pk])).content.decode()

    assert "Your “Monday mix” was refreshed: 2 new tracks." in home
    assert "2 new tracks, 2 left out" in page


def test_a_dismissal_is_kept_on_the_version_and_holds_on_another_device(owner: User) -> None:
    _, version = _refreshed(owner)
    phone, laptop = _signed_in(owner), _signed_in(owner)
    assert "was refreshed" in laptop.get(reverse("playlists:home")).content.decode()

    response = phone.post(reverse("playlists:refresh_notices_hide"))

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.notice_dismissed_at is not None
    assert "was refreshed" not in laptop.get(reverse("playlists:home")).content.decode()
    assert "was refreshed" not in phone.get(reverse("playlists:home")).content.decode()


def test_a_later_refresh_shows_again_after_a_dismissal(owner: User) -> None:
    playlist, _ = _refreshed(owner)
    browser = _signed_in(owner)
    browser.post(reverse("playlists:refresh_notices_hide"))

    version_make(playlist, tracks=[TrackFactory(title="Newer")], cause="refresh")

    assert "1 new track." in browser.get(reverse("playlists:home")).content.decode()


def test_a_notice_shows_for_notice_days_and_then_goes_by_itself(owner: User) -> None:
    _, version = _refreshed(owner)
    assert NOTICE_DAYS == 14
    later = version.finished_at
    assert later is not None

    assert refresh_notices(user=owner, now=later + timedelta(days=NOTICE_DAYS - 1))
    assert not refresh_notices(user=owner, now=later + timedelta(days=NOTICE_DAYS, seconds=1))


def test_only_scheduled_refreshes_of_ones_own_playlists_are_noticed(owner: User, other_user: User) -> None:
    _refreshed(other_user)
    playlist = playlist_make(owner=owner, prompt="calm jazz")
    version_make(playlist, tracks=[TrackFactory()])
    version_make(playlist, tracks=[TrackFactory()], cause="regenerate")
    version_make(playlist, tracks=[TrackFactory()], cause="refresh", status="failed")

    assert refresh_notices(user=owner) == []
    _signed_in(owner).post(reverse("playlists:refresh_notices_hide"))
    assert PlaylistVersion.objects.filter(notice_dismissed_at__isnull=False).count() == 0


def test_dismissing_needs_a_post(owner: User) -> None:
    assert _signed_in(owner).get(reverse("playlists:refresh_notices_hide")).status_code == 405


def test_a_version_dismissed_long_ago_stays_dismissed(owner: User) -> None:
    _, version = _refreshed(owner)
    PlaylistVersion.objects.filter(pk=version.pk).update(
        notice_dismissed_at=timezone.now() - timedelta(days=1)
    )
    assert refresh_notices(user=owner) == []
