"""The desk through the browser and the API: curators only, listeners 403; the listener's
report action and editors' picks; the htmx editor's stale-revision message."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Track
from editorial import playlist_services, review_services, services
from editorial.models import (
    AuditEntry,
    EditorialItem,
    EditorialPlaylist,
    EditorialStatus,
    QueueSnapshot,
    ReviewItem,
    Theme,
    ThemePin,
)
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracks() -> list[Track]:
    return [TrackFactory(title=f"Tune {index}") for index in range(3)]


@pytest.fixture
def theme(curator: User) -> Theme:
    return services.theme_create(actor=curator, name="Calm jazz", description="calm jazz")


@pytest.fixture
def draft(tracks: list[Track]) -> EditorialPlaylist:
    playlist = EditorialPlaylist.objects.create(name="Sunday", prompt="sunday", status=EditorialStatus.DRAFT)
    EditorialItem.objects.bulk_create(
        EditorialItem(playlist=playlist, position=index, track=track) for index, track in enumerate(tracks, 1)
    )
    return playlist


@pytest.fixture
def review_item(owner: User, tracks: list[Track]) -> ReviewItem:
    version = version_make(playlist_make(owner=owner), tracks=tracks)
    review_services.report_create(reporter=owner, playlist=version.playlist, track_id=tracks[0].pk)
    return ReviewItem.objects.get()


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _desk_pages(theme: Theme, draft: EditorialPlaylist, review_item: ReviewItem) -> list[str]:
    return [
        reverse("desk:home"),
        reverse("desk:queue"),
        reverse("desk:review", args=[review_item.pk]),
        reverse("desk:themes"),
        reverse("desk:theme", args=[theme.pk]),
        reverse("desk:blocks"),
        reverse("desk:playlists"),
        reverse("desk:playlist", args=[draft.pk]),
        reverse("desk:audit"),
    ]


def test_curators_reach_every_desk_page_listeners_get_403_strangers_log_in(
    curator: User, owner: User, theme: Theme, draft: EditorialPlaylist, review_item: ReviewItem
) -> None:
    QueueSnapshot.objects.create(taken_at="2026-01-01T00:00Z", reason="report", open_count=1)
    for url in _desk_pages(theme, draft, review_item):
        assert _client(curator).get(url).status_code == 200, url
        assert _client(owner).get(url).status_code == 403, url
        assert _client(None).get(url).status_code == 302, url


def test_listeners_cannot_post_curator_actions(owner: User, theme: Theme, tracks: list[Track]) -> None:
    response = _client(owner).post(reverse("desk:pin_create", args=[theme.pk]), {"track_id": tracks[0].pk})
    assert response.status_code == 403
    response = _client(owner).post(reverse("desk:blocks"), {"track_id": tracks[0].pk, "reason": "x"})
    assert response.status_code == 403
    assert not ThemePin.objects.exists() and AuditEntry.objects.count() == 1  # the theme fixture's


API_ENDPOINTS = [
    ("get", "/api/editorial/themes/"),
    ("post", "/api/editorial/themes/"),
    ("get", "/api/editorial/themes/{theme}/"),
    ("put", "/api/editorial/themes/{theme}/"),
    ("delete", "/api/editorial/themes/{theme}/"),
    ("get", "/api/editorial/themes/{theme}/pins/"),
    ("post", "/api/editorial/themes/{theme}/pins/"),
    ("delete", "/api/editorial/pins/1/"),
    ("get", "/api/editorial/blocks/"),
    ("post", "/api/editorial/blocks/"),
    ("delete", "/api/editorial/blocks/1/"),
    ("get", "/api/editorial/queue/"),
    ("post", "/api/editorial/queue/{item}/decisions/"),
    ("post", "/api/editorial/queue/{item}/resolve/"),
    ("get", "/api/editorial/audit/"),
]


@pytest.mark.parametrize(("method", "path"), API_ENDPOINTS)
def test_listeners_get_403_from_the_curator_api(
    method: str, path: str, owner: User, theme: Theme, review_item: ReviewItem, api_client: APIClient
) -> None:
    api_client.force_authenticate(user=owner)
    response = getattr(api_client, method)(
        path.format(theme=theme.pk, item=review_item.pk), {}, format="json"
    )
    assert response.status_code == 403
    assert Theme.objects.filter(pk=theme.pk).exists()


def test_curators_manage_themes_pins_blocks_and_the_queue_by_api(
    curator: User, tracks: list[Track], review_item: ReviewItem, api_client: APIClient
) -> None:
    api_client.force_authenticate(user=curator)
    response = api_client.post("/api/editorial/themes/", {"name": "", "description": "x"}, format="json")
    assert response.status_code == 400 and "needs a name" in response.json()["detail"]
    theme = api_client.post(
        "/api/editorial/themes/", {"name": "Run", "example_prompts": ["5k run"]}, format="json"
    ).json()
    pin = api_client.post(
        f"/api/editorial/themes/{theme['id']}/pins/", {"track": tracks[1].pk, "position": 2}, format="json"
    )
    assert pin.status_code == 201 and pin.json()["position"] == 2
    assert api_client.get(f"/api/editorial/themes/{theme['id']}/pins/").json()["count"] == 1
    block = api_client.post("/api/editorial/blocks/", {"track": tracks[2].pk, "reason": "bad"}, format="json")
    assert block.status_code == 201 and block.json()["theme"] is None
    queue = api_client.get("/api/editorial/queue/?reason=report").json()
    assert [row["id"] for row in queue["results"]] == [review_item.pk]
    decided = api_client.post(
        f"/api/editorial/queue/{review_item.pk}/decisions/",
        {"track": tracks[0].pk, "verdict": "reject"},
        format="json",
    )
    assert decided.status_code == 201
    assert api_client.post(f"/api/editorial/queue/{review_item.pk}/resolve/").json()["status"] == "done"
    audit = api_client.get("/api/editorial/audit/?action=theme").json()
    assert [row["action"] for row in audit["results"]] == ["theme.create"]
    assert api_client.delete(f"/api/editorial/pins/{pin.json()['id']}/").status_code == 204


def test_the_curator_api_is_in_the_openapi_schema(curator: User, api_client: APIClient) -> None:
    api_client.force_authenticate(user=curator)
    schema = api_client.get("/api/schema/?format=json").json()
    for path in (
        "/api/editorial/themes/",
        "/api/editorial/blocks/",
        "/api/editorial/queue/",
        "/api/editorial/reports/",
    ):
        assert path in schema["paths"], path


def test_a_listener_reports_a_track_with_htmx_and_the_queue_gets_it(owner: User, tracks: list[Track]) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks)
    client = _client(owner)
    page = client.get(reverse("playlists:detail", args=[version.playlist.pk])).content.decode()
    assert page.count(reverse("editorial:report", args=[version.playlist.pk])) >= 2 * (len(tracks) + 1)
    response = client.post(
        reverse("editorial:report", args=[version.playlist.pk]),
        {"track_id": tracks[1].pk, "reason": "this track doesn't fit"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "a curator will look at it" in response.content.decode()
    assert ReviewItem.objects.get().version == version


def test_a_stranger_cannot_report_someone_elses_playlist(
    owner: User, other_user: User, tracks: list[Track]
) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks)
    response = _client(other_user).post(reverse("editorial:report", args=[version.playlist.pk]), {})
    assert response.status_code == 404
    assert not ReviewItem.objects.exists()


def test_the_editor_says_someone_else_changed_it_when_the_revision_is_stale(
    curator: User, staff_user: User, draft: EditorialPlaylist, tracks: list[Track]
) -> None:
    url = reverse("desk:playlist_change", args=[draft.pk, "remove"])
    first = _client(curator).post(url, {"revision": 1, "track_id": tracks[0].pk}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    second = _client(staff_user).post(url, {"revision": 1, "track_id": tracks[1].pk}, HTTP_HX_REQUEST="true")
    assert second.status_code == 400
    assert "Someone else changed this playlist" in second.content.decode()
    assert list(draft.items.values_list("track_id", flat=True)) == [tracks[1].pk, tracks[2].pk]


def test_listeners_browse_published_editorial_playlists_only(
    curator: User, owner: User, draft: EditorialPlaylist
) -> None:
    client = _client(owner)
    assert client.get(reverse("editorial:published_detail", args=[draft.pk])).status_code == 404
    playlist_services.editorial_playlist_publish(actor=curator, playlist=draft, revision=1)
    assert "Sunday" in client.get(reverse("editorial:published")).content.decode()
    page = client.get(reverse("editorial:published_detail", args=[draft.pk]))
    assert page.status_code == 200 and "Tune 0" in page.content.decode()


def test_a_curator_creates_a_theme_and_pins_from_the_pages(curator: User, tracks: list[Track]) -> None:
    client = _client(curator)
    empty = client.post(reverse("desk:themes"), {"name": " ", "description": "x"})
    assert empty.status_code == 400 and "needs a name" in empty.content.decode()
    response = client.post(reverse("desk:themes"), {"name": "Focus", "example_prompts": "deep focus\nstudy"})
    theme = Theme.objects.get()
    assert response.status_code == 302 and theme.example_prompts == ["deep focus", "study"]
    client.post(reverse("desk:pin_create", args=[theme.pk]), {"track_id": tracks[0].pk, "position": 3})
    assert ThemePin.objects.get().position == 3
    page = client.get(reverse("desk:theme", args=[theme.pk]) + "?q=Tune").content.decode()
    assert "Tune 1" in page


def test_the_queue_and_the_audit_log_cost_the_same_queries_however_long(
    curator: User, owner: User, tracks: list[Track]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_reports(count: int) -> None:
        for _ in range(count):
            version = version_make(playlist_make(owner=owner), tracks=tracks)
            review_services.report_create(reporter=owner, playlist=version.playlist)
            services.theme_create(actor=curator, name=f"Theme {version.pk}", description="x")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _client(curator).get(url).status_code == 200
        return len(captured)

    add_reports(2)
    before = {
        url: queries(url) for url in (reverse("desk:queue"), reverse("desk:audit"), reverse("desk:themes"))
    }
    add_reports(4)
    after = {url: queries(url) for url in before}
    assert after == before


def test_listeners_report_by_api_only_their_own_playlists(
    owner: User, other_user: User, tracks: list[Track], api_client: APIClient
) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks)
    api_client.force_authenticate(user=other_user)
    body = {"playlist": version.playlist.pk, "track": tracks[0].pk, "reason": "doesn't fit"}
    assert api_client.post("/api/editorial/reports/", body, format="json").status_code == 404
    api_client.force_authenticate(user=owner)
    assert api_client.post("/api/editorial/reports/", body, format="json").status_code == 201
    assert ReviewItem.objects.get().version == version


def test_the_scan_command_reports_what_it_opened(owner: User, tracks: list[Track]) -> None:
    from io import StringIO

    from django.core.management import call_command

    version_make(playlist_make(owner=owner, prompt="blorp"), tracks=tracks, intent={"semantic_text": "blorp"})
    out = StringIO()
    call_command("review_queue_scan", stdout=out)
    assert "1 review item(s) opened" in out.getvalue() and "low_confidence 1" in out.getvalue()


def test_the_dashboards_chart_prompts_themes_and_artist_exposure(
    curator: User, owner: User, theme: Theme, tracks: list[Track]
) -> None:
    from editorial.models import VersionTheme

    for prompt in ("calm jazz", "Calm Jazz", "gym metal"):
        version = version_make(playlist_make(owner=owner, prompt=prompt), tracks=tracks[:2])
        VersionTheme.objects.create(version=version, theme=theme if "jazz" in prompt.lower() else None)
    page = _client(curator).get(reverse("desk:home")).content.decode()
    assert "calm jazz: 2" in page and "gym metal: 1" in page  # bar titles
    assert "Calm jazz: 2" in page and "(no theme): 1" in page
    assert "6 across 2 artists" in page  # placements: 3 versions x 2 tracks, one artist each
    assert "No listening data yet" in page
