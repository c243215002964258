"""The libraries page, its htmx fragment, the staff API and the scan_library command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from catalog import sources
from catalog.models import LibraryScan, LibrarySource, MediaFile
from catalog.sources import library_scan_request, library_source_add
from config.jobs import JobStatus
from tests.catalog.library_files import tag, write_audio

pytestmark = pytest.mark.django_db

PAGE = "/catalog/libraries/"
STATUS = "/catalog/libraries/status/"
API = "/api/catalog/libraries/"


@pytest.fixture
def music(tmp_path: Path) -> Path:
    root = tmp_path / "music"
    tag(write_audio(root / "A" / "B" / "01 - One.flac", seed=1), title="One", artists=["A"])
    write_audio(root / "A" / "B" / "02 - Two.wav", seed=2)
    (root / "A" / "B" / "broken.mp3").write_text("not audio\n" * 30)
    return root


@pytest.fixture
def staff_client(client: Client, staff_user: User) -> Client:
    client.force_login(staff_user)
    return client


@pytest.fixture
def staff_api(api_client: APIClient, staff_user: User) -> APIClient:
    api_client.force_authenticate(user=staff_user)
    return api_client


# --- pages ---------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_and_listeners_are_refused(
    client: Client, owner: User, music: Path
) -> None:
    library = library_source_add(root=str(music))
    scan = library_scan_request(source_id=library.pk, enqueue=False)
    posts = [
        f"/catalog/libraries/{library.pk}/scan/",
        f"/catalog/libraries/{library.pk}/remove/",
        f"/catalog/libraries/scans/{scan.pk}/cancel/",
    ]
    for url in [PAGE, STATUS]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.force_login(owner)
    assert client.get(PAGE).status_code == 403
    assert client.get(STATUS).status_code == 403
    for url in posts:
        assert client.post(url).status_code == 403
    assert LibrarySource.objects.filter(pk=library.pk).exists()
    assert LibraryScan.objects.get(pk=scan.pk).status == JobStatus.QUEUED
    assert reverse("catalog:libraries") not in client.get(reverse("catalog:browse")).content.decode()


def test_staff_add_a_folder_and_its_first_scan_is_queued(
    staff_client: Client, music: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    assert reverse("catalog:libraries") in staff_client.get(reverse("catalog:browse")).content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(PAGE, {"root": str(music), "name": "My music"})
    assert response.status_code == 302
    library = LibrarySource.objects.get()
    assert (library.name, library.root) == ("My music", str(music))
    assert library.scans.get().status == JobStatus.QUEUED
    assert len(callbacks) == 1
    page = staff_client.get(PAGE).content.decode()
    assert "My music" in page and 'hx-trigger="every 2s"' in page  # polls while the scan is queued


def test_a_missing_folder_is_a_form_error(staff_client: Client, tmp_path: Path) -> None:
    response = staff_client.post(PAGE, {"root": str(tmp_path / "nowhere")})
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    assert not LibrarySource.objects.exists()


def test_the_fragment_shows_progress_counts_and_failures_in_few_queries(
    staff_client: Client, music: Path, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for index in range(3):
        folder = music / f"more{index}"
        folder.mkdir()
        library = library_source_add(root=str(folder))
        library_scan_request(source_id=library.pk, enqueue=False)
    library = library_source_add(root=str(music))
    call_command("scan_library", "--source", str(library.pk), "--no-analysis", stdout=io.StringIO())

    with django_assert_max_num_queries(8):
        response = staff_client.get(STATUS, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert "<h1>" not in content
    assert "A/B/broken.mp3" in content and "not audio" in content
    assert 'value="100"' in content  # the finished scan's bar
    assert 'hx-trigger="every 2s"' in content  # the other libraries' scans are still queued
    assert "Sound analysed for 0 of 2 files (2 waiting for the analysis worker)" in content


def test_staff_rescan_cancel_and_remove_through_the_page(staff_client: Client, music: Path) -> None:
    library = library_source_add(root=str(music))
    response = staff_client.post(f"/catalog/libraries/{library.pk}/scan/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "queued" in response.content.decode()
    scan = library.scans.get()
    staff_client.post(f"/catalog/libraries/scans/{scan.pk}/cancel/")
    scan.refresh_from_db()
    assert scan.status == JobStatus.CANCELLED
    response = staff_client.post(f"/catalog/libraries/{library.pk}/remove/")
    assert response.status_code == 302
    assert not LibrarySource.objects.exists()
    assert staff_client.post("/catalog/libraries/999999/remove/").status_code == 404


# --- API -----------------------------------------------------------------------------------------


def test_api_is_for_staff_only(api_client: APIClient, owner: User, music: Path) -> None:
    library = library_source_add(root=str(music))
    scan = library_scan_request(source_id=library.pk, enqueue=False)
    urls = [API, f"{API}{library.pk}/", f"{API}scans/{scan.pk}/"]
    for url in urls:
        assert api_client.get(url).status_code == 401
    assert api_client.post(API, {"root": str(music)}).status_code == 401
    api_client.force_authenticate(user=owner)
    for url in urls:
        assert api_client.get(url).status_code == 403
    assert api_client.post(f"{API}{library.pk}/scans/").status_code == 403
    assert api_client.post(f"{API}scans/{scan.pk}/cancel/").status_code == 403
    assert api_client.delete(f"{API}{library.pk}/").status_code == 403
    assert LibrarySource.objects.filter(pk=library.pk).exists()


def test_api_adds_scans_reads_cancels_and_removes(
    staff_api: APIClient, music: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_api.post(API, {"root": str(music)}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["root"], body["latest_scan"]["status"]) == ("music", str(music), "queued")
    assert (body["file_count"], body["analysis_pending"]) == (0, 0)
    assert len(callbacks) == 1
    library_id, scan_id = body["id"], body["latest_scan"]["id"]

    assert staff_api.post(API, {"root": str(music)}, format="json").status_code == 400  # already there
    assert staff_api.post(f"{API}{library_id}/scans/").json()["id"] == scan_id  # the active one
    assert staff_api.get(f"{API}scans/{scan_id}/").json()["files_seen"] == 0
    cancelled = staff_api.post(f"{API}scans/{scan_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert staff_api.post(f"{API}scans/{scan_id}/cancel/").status_code == 400
    assert [item["id"] for item in staff_api.get(API).json()] == [library_id]
    assert staff_api.delete(f"{API}{library_id}/").status_code == 204
    assert staff_api.get(f"{API}{library_id}/").status_code == 404


def test_api_refuses_a_missing_folder(staff_api: APIClient, tmp_path: Path) -> None:
    response = staff_api.post(API, {"root": str(tmp_path / "nowhere")}, format="json")
    assert response.status_code == 400
    assert "does not exist" in response.json()["detail"]


# --- the command ---------------------------------------------------------------------------------


def test_scan_library_adds_the_folder_scans_it_and_reports(
    music: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    out, err = io.StringIO(), io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("scan_library", str(music), "--no-analysis", stdout=out, stderr=err)
    text = out.getvalue()
    assert "Added library “music”" in text
    assert "3 files seen, 2 new, 0 changed, 0 unchanged, 0 removed, 1 failed" in text
    assert "failed: A/B/broken.mp3: not audio" in text
    assert "Scanning" in err.getvalue() and "3/3" in err.getvalue()  # the progress bar
    assert MediaFile.objects.count() == 2

    out = io.StringIO()
    library = LibrarySource.objects.get()
    call_command(
        "scan_library", "--source", str(library.pk), "--no-analysis", stdout=out, stderr=io.StringIO()
    )
    assert "0 new, 0 changed, 2 unchanged" in out.getvalue()


def test_scan_library_exits_1_with_the_reason_for_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist") as raised:
        call_command("scan_library", str(tmp_path / "nowhere"), stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 1
    with pytest.raises(CommandError, match="No library with id") as raised:
        call_command("scan_library", "--source", "999999", stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 1


def test_scan_library_queues_the_analysis_for_the_worker(
    music: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("scan_library", str(music), stdout=out, stderr=io.StringIO())
    assert "2 files queued for audio analysis by the worker" in out.getvalue()
    assert len(callbacks) >= 1  # one analysis batch (and the embedding of the new tracks)


def test_scan_library_background_only_queues_the_scan(
    music: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("scan_library", str(music), "--background", stdout=out)
    assert "queued" in out.getvalue()
    assert LibraryScan.objects.get().status == JobStatus.QUEUED
    assert len(callbacks) == 1


def test_interrupting_scan_library_cancels_the_scan_so_the_next_run_resumes(
    music: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    settings.LIBRARY_SCAN_HEARTBEAT_FILES = 1

    real_heartbeat = sources._heartbeat

    def interrupted(scan: LibraryScan, unchanged_ids: list[int]) -> None:
        real_heartbeat(scan, unchanged_ids)
        if scan.files_seen == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(sources, "_heartbeat", interrupted)
    with pytest.raises(CommandError, match="run the same command again to resume") as raised:
        call_command("scan_library", str(music), "--no-analysis", stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 1
    stopped = LibraryScan.objects.get()
    assert (stopped.status, stopped.resume_after) == (JobStatus.CANCELLED, "A/B/01 - One.flac")

    monkeypatch.setattr(sources, "_heartbeat", real_heartbeat)
    out = io.StringIO()
    call_command("scan_library", str(music), "--no-analysis", stdout=out, stderr=io.StringIO())
    assert "Resuming after A/B/01 - One.flac" in out.getvalue()
    assert "2 files seen, 1 new" in out.getvalue()
