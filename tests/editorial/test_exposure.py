"""Artist exposure has one definition: the desk home and the fairness page agree on the same data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Artist, Track, TrackArtist
from editorial import selectors
from editorial.experiments import monitoring_selectors
from editorial.exposure import gini
from playlists.models import PlaylistVersion, VersionStatus
from tests.catalog.factories import ArtistFactory, TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def _finished(version: PlaylistVersion, *, days_ago: float) -> None:
    PlaylistVersion.objects.filter(pk=version.pk).update(
        finished_at=timezone.now() - timedelta(days=days_ago)
    )


@pytest.fixture
def placements(owner: User, other_user: User) -> dict[str, Artist]:
    """Ready playlists over two days, with featured artists, a track without an artist and
    popularities around the long-tail line; plus playlists neither page may count."""
    lead, featured, solo = ArtistFactory(name="Lead"), ArtistFactory(name="Featured"), ArtistFactory()
    duet = TrackFactory(artists=[lead, featured], popularity=80)  # exposure goes to the lead only
    credited_later = TrackFactory(artists=[], popularity=29)
    TrackArtist.objects.create(track=credited_later, artist=featured, position=2)
    TrackArtist.objects.create(track=credited_later, artist=solo, position=1)  # the lead: lowest position
    on_the_line = TrackFactory(artists=[solo], popularity=30)  # not long tail
    unknown = TrackFactory(artists=[lead], popularity=None)  # long tail, as the engine reads it
    no_artist = TrackFactory(artists=[], popularity=90)
    lead_hit = TrackFactory(artists=[lead], popularity=60)
    tracks: list[Track] = [duet, credited_later, on_the_line, unknown, no_artist]

    yesterday = version_make(playlist_make(owner=owner, prompt="one"), tracks=tracks)
    _finished(yesterday, days_ago=1)
    version_make(playlist_make(owner=other_user, prompt="two"), tracks=[duet, lead_hit, unknown])
    version_make(playlist_make(owner=owner, prompt="three"), tracks=[credited_later])
    # Not counted: still building, or older than the 30 days both pages look at.
    version_make(playlist_make(owner=owner, prompt="building"), tracks=tracks, status=VersionStatus.RUNNING)
    old = version_make(playlist_make(owner=owner, prompt="old"), tracks=[duet, lead_hit])
    _finished(old, days_ago=40)
    return {"lead": lead, "featured": featured, "solo": solo}


def test_the_desk_home_and_the_fairness_page_report_the_same_exposure(
    curator: User, placements: dict[str, Artist]
) -> None:
    desk = selectors.artist_exposure(days=30)
    fairness = monitoring_selectors.fairness_report(user=curator, days=30)

    # Lead artists: Lead 2 yesterday + 3 today, Solo 2 yesterday + 1 today; Featured is never
    # a lead. 9 placements, one of them (no_artist) without an artist.
    lead, solo = placements["lead"].pk, placements["solo"].pk
    assert fairness.window.per_artist == {lead: 5, solo: 3}
    assert (desk.placements, desk.artists) == (fairness.window.placements, fairness.window.artists) == (9, 2)
    assert desk.gini == fairness.window.gini == pytest.approx(gini([5, 3]))
    # Long tail: credited_later (29) twice, unknown twice.
    assert desk.long_tail_share == fairness.window.long_tail_share == pytest.approx(4 / 9)
    assert [row.versions for row in fairness.days] == [1, 2]
    assert sum(row.versions for row in fairness.floors) == 3

    client = Client()
    client.force_login(curator)
    home = client.get(reverse("desk:home"))
    page = client.get(reverse("experiments:fairness") + "?days=30")
    assert home.context["exposure"].gini == page.context["report"].window.gini
    api = APIClient()
    api.force_authenticate(user=curator)
    window = api.get(reverse("experiments:api_fairness") + "?days=30").json()["window"]
    assert window["exposure_gini"] == pytest.approx(desk.gini) and window["placements"] == 9
    facts = "<dt>Placements</dt><dd>9 across 2 artists</dd>"
    shown_gini = f"{gini([5, 3]):.3f}"
    for response in (home, page):
        html = response.content.decode()
        assert facts in html and f"</dt><dd>{shown_gini}</dd>" in html and "</dt><dd>0.444</dd>" in html


def test_the_fairness_page_costs_the_same_queries_however_many_playlists(curator: User, owner: User) -> None:
    tracks = [TrackFactory(popularity=10 * n) for n in range(6)]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            monitoring_selectors.fairness_report(user=curator, days=30)
        return len(captured)

    version_make(playlist_make(owner=owner), tracks=tracks)
    queries()  # the first call also reads the curator's groups, then cached on the user
    few = queries()
    for day in range(5):
        for _ in range(3):
            _finished(version_make(playlist_make(owner=owner), tracks=tracks), days_ago=day)
    assert queries() == few


def test_the_fairness_page_says_when_the_row_cap_cuts_the_window(
    curator: User, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in range(3):
        version = version_make(playlist_make(owner=owner), tracks=[TrackFactory(), TrackFactory()])
        _finished(version, days_ago=day)
    monkeypatch.setattr(monitoring_selectors, "FAIRNESS_MAX_ROWS", 5)  # 6 (day, artist) rows

    report = monitoring_selectors.fairness_report(user=curator, days=30)

    assert len(report.days) == 2 and report.window.placements == 4
    assert [row.versions for row in report.floors] == [2]
    assert report.complete_since == report.days[0].day
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("experiments:fairness") + "?days=30").content.decode()
    assert f"only the days from <strong>{report.complete_since:%Y-%m-%d}</strong>" in page
