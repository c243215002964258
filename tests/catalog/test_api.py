"""The catalog REST API through DRF's test client against the real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from catalog.embeddings import encode_documents
from catalog.models import CatalogImport
from config.jobs import JobStatus
from tests.catalog.factories import TagFactory, TrackFactory

pytestmark = pytest.mark.django_db

TRACKS = "/api/tracks/"
SEARCH = "/api/tracks/search/"
IMPORTS = "/api/catalog/imports/"
EMBEDDING_STATUS = "/api/catalog/embedding-status/"
SMALL_CSV = b"id,title,artist\nsp-1,First Light,The Dawns\nsp-2,Night Drive,Neon Roads\n"


@pytest.fixture
def listener_api(api_client: APIClient, owner: User) -> APIClient:
    api_client.force_authenticate(user=owner)
    return api_client


@pytest.fixture
def staff_api(api_client: APIClient, staff_user: User) -> APIClient:
    api_client.force_authenticate(user=staff_user)
    return api_client


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def result_titles(response: HttpResponse) -> list[str]:
    return [track["title"] for track in response.json()["results"]]


def csv_upload(content: bytes = SMALL_CSV) -> SimpleUploadedFile:
    return SimpleUploadedFile("tracks.csv", content, content_type="text/csv")


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        TRACKS,
        f"{SEARCH}?q=jazz",
        "/api/tracks/1/",
        "/api/tracks/1/similar/",
        IMPORTS,
        "/api/catalog/imports/1/",
        EMBEDDING_STATUS,
    ],
)
def test_anonymous_client_is_refused(api_client: APIClient, url: str) -> None:
    assert api_client.get(url).status_code in (401, 403)


@pytest.mark.usefixtures("media_root")
def test_anonymous_client_cannot_upload(api_client: APIClient) -> None:
    response = api_client.post(IMPORTS, {"file": csv_upload(), "source": "spotify"}, format="multipart")

    assert response.status_code in (401, 403)
    assert not CatalogImport.objects.exists()


def test_session_login_works_for_the_api(api_client: APIClient, owner: User, user_password: str) -> None:
    assert api_client.login(email=owner.email, password=user_password)

    assert api_client.get(TRACKS).status_code == 200


# --- tracks ------------------------------------------------------------------------------------


def test_track_list_is_paginated_most_popular_first(listener_api: APIClient) -> None:
    TrackFactory(title="Quiet", popularity=5)
    TrackFactory(title="Loud", popularity=95, artists=["First", "Second"], tags=["rock"])

    response = listener_api.get(TRACKS)

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert body["next"] is None
    assert result_titles(response) == ["Loud", "Quiet"]
    assert body["results"][0]["artists"] == ["First", "Second"]
    assert body["results"][0]["tags"] == [{"name": "rock", "kind": "genre"}]
    assert body["results"][0]["is_demo"] is False


def test_track_list_pages_by_fifty(listener_api: APIClient) -> None:
    for _ in range(51):
        TrackFactory()

    body = listener_api.get(TRACKS).json()

    assert len(body["results"]) == 50
    assert body["next"].endswith("page=2")


@pytest.mark.parametrize("track_count", [1, 20])
def test_track_list_runs_a_fixed_number_of_queries(
    listener_api: APIClient, django_assert_num_queries: DjangoAssertNumQueries, track_count: int
) -> None:
    for _ in range(track_count):
        TrackFactory(artists=["A", "B"], tags=["rock", "pop"])

    # count, page, artists, tags
    with django_assert_num_queries(4):
        response = listener_api.get(TRACKS)

    assert len(response.json()["results"]) == track_count


def test_track_list_filters_like_the_browse_page(listener_api: APIClient) -> None:
    TrackFactory(title="Match", tags=["jazz"], energy=0.3, release_year=1961)
    TrackFactory(title="Wrong tag", tags=["metal"], energy=0.3, release_year=1961)
    TrackFactory(title="Excluded", tags=["jazz", "fusion"], energy=0.3, release_year=1961)
    TrackFactory(title="Too energetic", tags=["jazz"], energy=0.9, release_year=1961)
    TrackFactory(title="Too new", tags=["jazz"], energy=0.3, release_year=2020)

    response = listener_api.get(
        TRACKS,
        {
            "tag": "jazz,blues",
            "exclude_tag": "fusion",
            "max_energy": "0.5",
            "year_from": "1950",
            "year_to": "1970",
        },
    )

    assert response.status_code == 200
    assert result_titles(response) == ["Match"]


def test_track_list_q_is_a_substring_match(listener_api: APIClient) -> None:
    TrackFactory(title="Moonlight Sonata")
    TrackFactory(title="Sunshine")

    assert result_titles(listener_api.get(TRACKS, {"q": "moon"})) == ["Moonlight Sonata"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"min_energy": "0.9", "max_energy": "0.1"}, "max_energy", "0.1 is below the minimum 0.9"),
        ({"min_danceability": "1.5"}, "min_danceability", "less than or equal to 1"),
        ({"max_tempo": "fast"}, "max_tempo", "Enter a number"),
        ({"year_to": "99999"}, "year_to", "less than or equal to 2100"),
        ({"explicit": "maybe"}, "explicit", "Select a valid choice"),
    ],
)
def test_bad_filter_values_are_400_with_a_message(
    listener_api: APIClient, params: dict, field: str, message: str
) -> None:
    response = listener_api.get(TRACKS, params)

    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_track_detail(listener_api: APIClient) -> None:
    track = TrackFactory(title="So What", isrc="USSM15900108", source="demo")

    response = listener_api.get(f"/api/tracks/{track.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert body["title"] == "So What"
    assert body["isrc"] == "USSM15900108"
    assert body["embedded"] is True
    assert body["is_demo"] is True


def test_unknown_track_is_404(listener_api: APIClient) -> None:
    assert listener_api.get("/api/tracks/999999/").status_code == 404
    assert listener_api.get("/api/tracks/999999/similar/").status_code == 404


def test_similar_tracks_exclude_the_track_itself(listener_api: APIClient) -> None:
    track = TrackFactory()
    for _ in range(6):
        TrackFactory()

    response = listener_api.get(f"/api/tracks/{track.pk}/similar/", {"k": 5})

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 5
    assert track.pk not in [hit["id"] for hit in body["results"]]
    similarities = [hit["similarity"] for hit in body["results"]]
    assert similarities == sorted(similarities, reverse=True)


def test_similar_tracks_of_an_unembedded_track_are_empty(listener_api: APIClient) -> None:
    track = TrackFactory(embedding=None)
    TrackFactory()

    assert listener_api.get(f"/api/tracks/{track.pk}/similar/").json() == {"count": 0, "results": []}


def test_search_requires_q(listener_api: APIClient) -> None:
    response = listener_api.get(SEARCH)

    assert response.status_code == 400
    assert response.json()["q"] == ["This field is required."]


@pytest.mark.parametrize("k", ["0", "201", "many"])
def test_search_k_must_be_between_1_and_200(listener_api: APIClient, k: str) -> None:
    response = listener_api.get(SEARCH, {"q": "jazz", "k": k})

    assert response.status_code == 400
    assert "k" in response.json()


def test_search_rejects_bad_filters_before_embedding(listener_api: APIClient) -> None:
    response = listener_api.get(SEARCH, {"q": "jazz", "min_valence": "-1"})

    assert response.status_code == 400
    assert "min_valence" in response.json()


@pytest.mark.model
def test_search_by_meaning_ranks_the_matching_track_first(listener_api: APIClient) -> None:
    documents = {
        "Lullaby": "soft piano lullaby, calm and quiet, for falling asleep",
        "Thrash": "aggressive thrash metal, distorted guitars, screaming vocals",
        "Fiesta": "upbeat latin dance party with trumpets and congas",
    }
    vectors = encode_documents(list(documents.values()))
    for (title, document), vector in zip(documents.items(), vectors, strict=True):
        TrackFactory(title=title, document=document, embedding=vector)

    expectations = {
        "gentle music to help a baby sleep": "Lullaby",
        "loud heavy metal headbanging": "Thrash",
        "salsa dancing at a summer party": "Fiesta",
    }
    for query, expected in expectations.items():
        response = listener_api.get(SEARCH, {"q": query, "k": 3})
        body = response.json()
        assert response.status_code == 200
        assert body["count"] == 3
        assert body["results"][0]["title"] == expected, query
        similarities = [hit["similarity"] for hit in body["results"]]
        assert similarities == sorted(similarities, reverse=True)


@pytest.mark.model
def test_search_by_meaning_applies_filters(listener_api: APIClient) -> None:
    documents = ["soft piano lullaby for sleeping", "gentle acoustic guitar lullaby"]
    piano, guitar = encode_documents(documents)
    TrackFactory(title="Piano", document=documents[0], embedding=piano, tags=[TagFactory(name="piano")])
    TrackFactory(title="Guitar", document=documents[1], embedding=guitar, tags=[TagFactory(name="folk")])

    response = listener_api.get(SEARCH, {"q": "piano lullaby", "exclude_tag": "piano"})

    assert result_titles(response) == ["Guitar"]


# --- imports -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("media_root")
def test_staff_upload_queues_an_import_job(
    staff_api: APIClient, staff_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_api.post(
            IMPORTS,
            {
                "file": csv_upload(),
                "source": "spotify",
                "format": "csv",
                "map": "title=title",
                "tags_from": "",
                "strict": "true",
            },
            format="multipart",
        )

    assert response.status_code == 202, response.json()
    body = response.json()
    job = CatalogImport.objects.get()
    assert body["id"] == job.pk
    assert body["status"] == JobStatus.QUEUED
    assert body["created_by"] == staff_user.email
    assert job.strict is True
    assert len(callbacks) == 1


@pytest.mark.parametrize("user_fixture", ["owner", "curator"])
@pytest.mark.usefixtures("media_root")
def test_non_staff_cannot_upload(
    api_client: APIClient, request: pytest.FixtureRequest, user_fixture: str
) -> None:
    api_client.force_authenticate(user=request.getfixturevalue(user_fixture))

    response = api_client.post(IMPORTS, {"file": csv_upload(), "source": "spotify"}, format="multipart")

    assert response.status_code == 403
    assert not CatalogImport.objects.exists()


@pytest.mark.usefixtures("media_root")
def test_upload_over_the_size_limit_is_413(staff_api: APIClient, settings: Settings) -> None:
    settings.CATALOG_UPLOAD_MAX_BYTES = 100

    response = staff_api.post(
        IMPORTS, {"file": csv_upload(SMALL_CSV * 5), "source": "spotify"}, format="multipart"
    )

    assert response.status_code == 413
    assert "the limit is 100 bytes" in response.json()["detail"]
    assert not CatalogImport.objects.exists()


@pytest.mark.usefixtures("media_root")
def test_bad_column_map_is_400_with_a_message(staff_api: APIClient) -> None:
    response = staff_api.post(
        IMPORTS, {"file": csv_upload(), "source": "spotify", "map": "colour=track_colour"}, format="multipart"
    )

    assert response.status_code == 400
    assert "Unknown field 'colour'" in response.json()["detail"]
    assert not CatalogImport.objects.exists()


@pytest.mark.usefixtures("media_root")
def test_upload_without_source_is_400(staff_api: APIClient) -> None:
    response = staff_api.post(IMPORTS, {"file": csv_upload()}, format="multipart")

    assert response.status_code == 400
    assert "source" in response.json()


def test_staff_lists_and_reads_import_jobs(staff_api: APIClient, staff_user: User) -> None:
    job = CatalogImport.objects.create(
        created_by=staff_user,
        original_name="a.csv",
        source="spotify",
        status=JobStatus.RUNNING,
        bytes_total=200,
        bytes_read=50,
        skipped_rows=[{"line": 3, "reason": "no title"}],
    )

    listing = staff_api.get(IMPORTS)
    detail = staff_api.get(f"/api/catalog/imports/{job.pk}/")

    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()] == [job.pk]
    assert detail.status_code == 200
    assert detail.json()["percent_done"] == 25
    assert detail.json()["skipped_rows"] == [{"line": 3, "reason": "no title"}]


def test_listener_cannot_list_or_read_import_jobs(listener_api: APIClient, staff_user: User) -> None:
    job = CatalogImport.objects.create(created_by=staff_user, original_name="a.csv", source="spotify")

    assert listener_api.get(IMPORTS).status_code == 403
    assert listener_api.get(f"/api/catalog/imports/{job.pk}/").status_code == 404


def test_unknown_import_job_is_404(staff_api: APIClient) -> None:
    assert staff_api.get("/api/catalog/imports/999999/").status_code == 404


def test_embedding_status(listener_api: APIClient) -> None:
    TrackFactory()
    TrackFactory(embedding=None)

    assert listener_api.get(EMBEDDING_STATUS).json() == {
        "total": 2,
        "embedded": 1,
        "pending": 1,
        "percent": 50,
    }


# --- schema and docs ---------------------------------------------------------------------------


def test_schema_documents_the_catalog_api(api_client: APIClient) -> None:
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert "/api/tracks/search/" in schema["paths"]
    list_parameters = {p["name"] for p in schema["paths"]["/api/tracks/"]["get"]["parameters"]}
    assert {
        "q",
        "tag",
        "exclude_tag",
        "min_energy",
        "max_tempo",
        "year_from",
        "explicit",
        "page",
    } <= list_parameters
    search_parameters = {p["name"] for p in schema["paths"]["/api/tracks/search/"]["get"]["parameters"]}
    assert {"q", "k", "min_valence"} <= search_parameters
    post = schema["paths"]["/api/catalog/imports/"]["post"]
    assert {"202", "400", "413"} <= set(post["responses"])


def test_api_docs_page_renders(api_client: APIClient) -> None:
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
