"""Catalog pages through the Django test client against the real database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from accounts.models import User
from catalog.forms import TrackFilterForm
from catalog.models import CatalogImport, TagKind
from config.jobs import JobStatus
from tests.catalog.factories import TagFactory, TrackFactory

pytestmark = pytest.mark.django_db

BROWSE = reverse("catalog:browse")
IMPORTS = reverse("catalog:imports")
SMALL_CSV = (
    b"id,title,artist,year,energy\n"
    b"sp-1,First Light,The Dawns,1999,0.4\n"
    b"sp-2,Night Drive,Neon Roads,2015,0.8\n"
)


@pytest.fixture
def listener_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def staff_client(client: Client, staff_user: User) -> Client:
    client.force_login(staff_user)
    return client


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    # Uploaded files land in a temporary folder, never in the dev data folder.
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def titles(response: HttpResponse) -> list[str]:
    return [track.title for track in response.context["tracks"]]


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("catalog:browse"),
        reverse("catalog:track", args=[1]),
        reverse("catalog:imports"),
        reverse("catalog:import_status"),
        reverse("catalog:embedding_status"),
    ],
)
def test_anonymous_visitor_is_sent_to_login(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_page_renders_for_anonymous_visitor(client: Client) -> None:
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert b"make run" in response.content


def test_listener_nav_has_no_staff_links(listener_client: Client) -> None:
    content = listener_client.get(BROWSE).content.decode()

    assert "Catalog imports" not in content
    assert reverse("api-docs") in content
    assert "owner@example.com" in content


def test_staff_nav_links_to_catalog_imports(staff_client: Client) -> None:
    assert IMPORTS in staff_client.get(BROWSE).content.decode()


# --- browse ------------------------------------------------------------------------------------


def test_browse_lists_tracks_most_popular_first(listener_client: Client) -> None:
    TrackFactory(title="Quiet One", popularity=10)
    TrackFactory(title="Big Hit", popularity=90)

    response = listener_client.get(BROWSE)

    assert response.status_code == 200
    assert titles(response) == ["Big Hit", "Quiet One"]
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("track_count", [1, 25])
def test_browse_runs_a_fixed_number_of_queries(
    listener_client: Client, django_assert_num_queries: DjangoAssertNumQueries, track_count: int
) -> None:
    rock = TagFactory(name="rock")
    calm = TagFactory(name="calm", kind=TagKind.MOOD)
    for _ in range(track_count):
        TrackFactory(artists=["A", "B"], tags=[rock, calm])

    # session, user, curator role (nav), popular genres, popular moods, count, page, artists, tags
    with django_assert_num_queries(9):
        response = listener_client.get(BROWSE)

    assert len(response.context["tracks"]) == track_count


def test_htmx_request_gets_only_the_results_fragment(listener_client: Client) -> None:
    TrackFactory(title="Fragmented")

    response = listener_client.get(BROWSE, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "<form" not in content
    assert content.lstrip().startswith('<section id="results"')
    assert "Fragmented" in content
    # The error slots are refreshed out of band, so stale errors disappear.
    assert 'id="error-max_energy" hx-swap-oob="true"' in content
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(listener_client: Client) -> None:
    response = listener_client.get(
        BROWSE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


def test_search_box_searches_as_you_type_and_works_without_javascript(listener_client: Client) -> None:
    content = listener_client.get(BROWSE).content.decode()

    search_input = re.search(r'<input type="search"[^>]*>', content, re.DOTALL)
    assert search_input is not None
    assert 'hx-trigger="input changed delay:300ms, search"' in search_input.group()
    assert 'hx-push-url="true"' in search_input.group()
    assert f'action="{BROWSE}"' in content
    assert 'method="get"' in content


def test_tag_filter_includes_tracks_with_any_chosen_tag(listener_client: Client) -> None:
    TrackFactory(title="Rocker", tags=["rock"])
    TrackFactory(title="Jazzer", tags=["jazz"])
    TrackFactory(title="Popper", tags=["pop"])

    response = listener_client.get(BROWSE, {"tag": ["rock", "jazz"]})

    assert sorted(titles(response)) == ["Jazzer", "Rocker"]


def test_exclude_tag_filter_drops_tracks_with_that_tag(listener_client: Client) -> None:
    TrackFactory(title="Gangsta", tags=["gangster rap", "hip hop"])
    TrackFactory(title="Conscious", tags=["hip hop"])

    response = listener_client.get(BROWSE, {"tag": "hip hop", "exclude_tag": "gangster rap"})

    assert titles(response) == ["Conscious"]


def test_feature_range_filter_narrows_results(listener_client: Client) -> None:
    TrackFactory(title="Calm", energy=0.2)
    TrackFactory(title="Medium", energy=0.5)
    TrackFactory(title="Loud", energy=0.9)

    response = listener_client.get(BROWSE, {"min_energy": "0.4", "max_energy": "0.95"})

    assert sorted(titles(response)) == ["Loud", "Medium"]


def test_sliders_at_the_edges_do_not_drop_tracks_with_unknown_features(listener_client: Client) -> None:
    TrackFactory(title="Unknown energy", energy=None)

    response = listener_client.get(
        BROWSE, {"min_energy": "0", "max_energy": "1", "min_tempo": "0", "max_tempo": "300"}
    )

    assert titles(response) == ["Unknown energy"]


def test_year_range_filter_narrows_results(listener_client: Client) -> None:
    TrackFactory(title="Sixties", release_year=1965)
    TrackFactory(title="Nineties", release_year=1994)
    TrackFactory(title="Now", release_year=2023)

    response = listener_client.get(BROWSE, {"year_from": "1990", "year_to": "1999"})

    assert titles(response) == ["Nineties"]


def test_hide_explicit_filter(listener_client: Client) -> None:
    TrackFactory(title="Clean")
    TrackFactory(title="Parental Advisory", explicit=True)

    response = listener_client.get(BROWSE, {"explicit": "exclude"})

    assert titles(response) == ["Clean"]


def test_search_by_name_matches_title_artist_and_album(listener_client: Client) -> None:
    TrackFactory(title="Harbour Lights", artists=["Someone"])
    TrackFactory(title="Other", artists=["The Harbourmasters"])
    TrackFactory(title="Unrelated", artists=["Nobody"])

    response = listener_client.get(BROWSE, {"q": "harbour", "mode": "name"})

    assert sorted(titles(response)) == ["Harbour Lights", "Other"]


def test_browse_paginates_fifty_per_page(listener_client: Client) -> None:
    for popularity in range(51):
        TrackFactory(popularity=popularity % 100)

    first = listener_client.get(BROWSE)
    second = listener_client.get(BROWSE, {"page": "2"})

    assert len(first.context["tracks"]) == 50
    assert len(second.context["tracks"]) == 1
    assert "page=2" in first.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_energy": "0.8", "max_energy": "0.2"}, "0.2 is below the minimum 0.8"),
        ({"min_valence": "2"}, "less than or equal to 1"),
        ({"max_tempo": "-5"}, "greater than or equal to 0"),
        ({"year_from": "2020", "year_to": "1990"}, "1990 is before the start year 2020"),
        ({"mode": "telepathy"}, "Select a valid choice"),
        ({"tag": "rock", "exclude_tag": "rock"}, "both included and excluded"),
    ],
)
def test_bad_filter_values_are_shown_as_form_errors(
    listener_client: Client, params: dict, message: str
) -> None:
    TrackFactory()

    response = listener_client.get(BROWSE, params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["tracks"] == []


def test_bad_filter_values_in_htmx_request_are_swapped_in(listener_client: Client) -> None:
    response = listener_client.get(
        BROWSE, {"min_energy": "0.9", "max_energy": "0.1"}, headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert "Some filters need fixing" in content
    assert re.search(r'id="error-max_energy" hx-swap-oob="true"><p>0.1 is below the minimum 0.9', content)


def test_demo_tracks_wear_a_badge_in_lists(listener_client: Client) -> None:
    TrackFactory(title="Made Up", source="demo")

    assert "demo data" in listener_client.get(BROWSE).content.decode()


def test_real_tracks_wear_no_demo_badge(listener_client: Client) -> None:
    TrackFactory(title="Real", source="spotify")

    assert "demo data" not in listener_client.get(BROWSE).content.decode()


def test_filter_form_builds_search_filters() -> None:
    form = TrackFilterForm(
        {
            "tag": ["Rock", "pop,Jazz"],
            "exclude_tag": "metal",
            "min_energy": "0.3",
            "max_energy": "1",
            "year_from": "1990",
            "explicit": "exclude",
        }
    )

    assert form.is_valid(), form.errors
    filters = form.to_filters()
    assert filters.tags_any == ("rock", "pop", "jazz")
    assert filters.tags_none == ("metal",)
    assert filters.feature_ranges == {"energy": (0.3, None)}
    assert filters.year_range == (1990, None)
    assert filters.exclude_explicit is True


# --- track page --------------------------------------------------------------------------------


def test_track_page_shows_the_track(listener_client: Client) -> None:
    track = TrackFactory(
        title="Blue in Green",
        artists=["Miles Davis", "Bill Evans"],
        album="Kind of Blue",
        release_year=1959,
        duration_ms=337_000,
        isrc="USSM15900113",
        spotify_uri="spotify:track:0aWMVrwxPNYkKmFthzmpRi",
        audio_url="https://example.com/preview.mp3",
        energy=0.12,
        tags=[TagFactory(name="jazz"), TagFactory(name="melancholy", kind=TagKind.MOOD)],
    )

    response = listener_client.get(reverse("catalog:track", args=[track.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Miles Davis, Bill Evans" in content
    assert "5:37" in content
    assert "USSM15900113" in content
    assert "spotify:track:0aWMVrwxPNYkKmFthzmpRi" in content
    assert '<audio class="preview" controls' in content
    assert "Genre" in content and "Mood" in content
    assert "width: 12.0%" in content  # the energy bar


def test_unknown_track_is_404(listener_client: Client) -> None:
    assert listener_client.get(reverse("catalog:track", args=[999_999])).status_code == 404


def test_similar_tracks_exclude_the_track_itself(listener_client: Client) -> None:
    track = TrackFactory(title="Seed")
    others = [TrackFactory(title=f"Neighbour {n}") for n in range(12)]

    response = listener_client.get(reverse("catalog:track", args=[track.pk]))

    similar = response.context["similar"]
    assert len(similar) == 10
    assert track.pk not in {item.pk for item in similar}
    assert {item.pk for item in similar} <= {other.pk for other in others}
    similarities = [item.similarity for item in similar]
    assert similarities == sorted(similarities, reverse=True)


def test_track_without_embedding_says_so(listener_client: Client) -> None:
    track = TrackFactory(embedding=None)

    response = listener_client.get(reverse("catalog:track", args=[track.pk]))

    assert response.context["similar"] == []
    assert "not embedded yet" in response.content.decode()


def test_demo_track_page_wears_the_badge(listener_client: Client) -> None:
    track = TrackFactory(source="demo")

    assert "demo data" in listener_client.get(reverse("catalog:track", args=[track.pk])).content.decode()


# --- staff imports -----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["catalog:imports", "catalog:import_status", "catalog:embedding_status"])
def test_listener_cannot_see_the_import_desk(listener_client: Client, url_name: str) -> None:
    assert listener_client.get(reverse(url_name)).status_code == 403


def test_curator_cannot_see_the_import_desk(client: Client, curator: User) -> None:
    client.force_login(curator)

    assert client.get(IMPORTS).status_code == 403


@pytest.mark.usefixtures("media_root")
def test_listener_cannot_upload(listener_client: Client) -> None:
    upload = SimpleUploadedFile("tracks.csv", SMALL_CSV, content_type="text/csv")

    response = listener_client.post(IMPORTS, {"file": upload, "source": "spotify"})

    assert response.status_code == 403
    assert not CatalogImport.objects.exists()


def test_staff_sees_the_import_desk(staff_client: Client) -> None:
    TrackFactory()
    TrackFactory(embedding=None)

    response = staff_client.get(IMPORTS)

    content = response.content.decode()
    assert response.status_code == 200
    assert "track_id" in content and "playlist_genre:genre" in content  # the Spotify example
    assert "1 of 2 tracks embedded" in content
    assert 'hx-trigger="every 2s"' in content  # the embedding panel polls while tracks wait


@pytest.mark.usefixtures("media_root")
def test_staff_upload_queues_an_import_job(
    staff_client: Client, staff_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    upload = SimpleUploadedFile("tracks.csv", SMALL_CSV, content_type="text/csv")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(
            IMPORTS,
            {"file": upload, "source": "spotify", "format": "", "map": "release_year=year", "tags_from": ""},
        )

    assert response.status_code == 302
    job = CatalogImport.objects.get()
    assert job.status == JobStatus.QUEUED
    assert job.created_by == staff_user
    assert job.file_format == "csv"
    assert job.column_map == {"release_year": "year"}
    assert len(callbacks) == 1  # the Celery task, sent once the transaction commits
    page = staff_client.get(IMPORTS).content.decode()
    assert "tracks.csv" in page
    assert "Queued" in page


@pytest.mark.usefixtures("media_root")
def test_upload_over_the_size_limit_is_refused_with_413(staff_client: Client, settings: Settings) -> None:
    settings.CATALOG_UPLOAD_MAX_BYTES = 64
    upload = SimpleUploadedFile("big.csv", SMALL_CSV * 10, content_type="text/csv")

    response = staff_client.post(IMPORTS, {"file": upload, "source": "spotify"})

    assert response.status_code == 413
    assert "files up to 64\xa0bytes are accepted here" in response.content.decode()
    assert not CatalogImport.objects.exists()


@pytest.mark.usefixtures("media_root")
def test_bad_column_map_is_a_form_error_and_queues_nothing(staff_client: Client) -> None:
    upload = SimpleUploadedFile("tracks.csv", SMALL_CSV, content_type="text/csv")

    response = staff_client.post(IMPORTS, {"file": upload, "source": "spotify", "map": "title"})

    assert response.status_code == 400
    assert "Bad column map entry" in response.content.decode()
    assert not CatalogImport.objects.exists()


def test_missing_file_is_a_form_error(staff_client: Client) -> None:
    response = staff_client.post(IMPORTS, {"source": "spotify"})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_job_list_polls_while_a_job_is_running(staff_client: Client, staff_user: User) -> None:
    CatalogImport.objects.create(
        created_by=staff_user,
        original_name="running.csv",
        source="spotify",
        status=JobStatus.RUNNING,
        bytes_total=1000,
        bytes_read=400,
        rows_read=40,
        rows_skipped=1,
        skipped_rows=[{"line": 7, "reason": "missing title"}],
    )

    response = staff_client.get(reverse("catalog:import_status"), headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="import-jobs"')
    assert 'hx-trigger="every 2s"' in content
    assert 'value="40"' in content  # percent done
    assert "line 7" in content and "missing title" in content


def test_job_list_stops_polling_when_jobs_are_done(staff_client: Client, staff_user: User) -> None:
    CatalogImport.objects.create(
        created_by=staff_user, original_name="done.csv", source="spotify", status=JobStatus.SUCCEEDED
    )

    content = staff_client.get(reverse("catalog:import_status")).content.decode()

    assert "done.csv" in content
    assert "every 2s" not in content


def test_embedding_panel_stops_polling_when_everything_is_embedded(staff_client: Client) -> None:
    TrackFactory()

    content = staff_client.get(reverse("catalog:embedding_status")).content.decode()

    assert "1 of 1 track embedded" in content
    assert "every 2s" not in content


def test_job_list_refreshes_the_embedding_panel_out_of_band(staff_client: Client) -> None:
    # An import leaves new tracks to embed; the panel learns it from the polled job list.
    TrackFactory(embedding=None)

    content = staff_client.get(reverse("catalog:import_status")).content.decode()

    assert 'id="embedding-status" class="card" hx-swap-oob="true"' in content
    assert "0 of 1 track embedded" in content
