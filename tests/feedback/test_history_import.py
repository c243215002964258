"""Importing a listening history: matched plays become events once, the rest is reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import ConsentPurpose, User
from accounts.services import consent_withdraw
from config.jobs import JobStatus
from feedback import history_imports
from feedback.models import HistoryImport, ListeningEvent
from tests.catalog.factories import TrackFactory
from tests.waiting import wait_until


def _spotify_row(ts: str, track: str, artist: str, uri: str = "", ms: int = 200_000) -> dict:
    return {
        "ts": ts,
        "ms_played": ms,
        "master_metadata_track_name": track,
        "master_metadata_album_artist_name": artist,
        "spotify_track_uri": uri,
        "reason_end": "trackdone" if ms > 30_000 else "fwdbtn",
        "skipped": None,
    }


HISTORY = [
    _spotify_row("2024-03-01T20:00:00Z", "So What", "Miles Davis", "spotify:track:sowhat000000000000000a"),
    _spotify_row("2024-03-01T20:10:00Z", "Feeling Good - Remastered 2011", "Nina Simone"),
    _spotify_row("2024-03-01T20:15:00Z", "Feeling Good", "Nina Simone", ms=4_000),
    _spotify_row("2024-03-01T20:20:00Z", "Unknown Song", "Unknown Band"),
    {"ts": "2024-03-01T20:30:00Z", "ms_played": 1},
]


@pytest.fixture
def catalog(db: None) -> dict[str, int]:
    so_what = TrackFactory(
        title="So What", source="spotify", source_id="sowhat000000000000000a", artists=["Miles Davis"]
    )
    feeling_good = TrackFactory(title="Feeling Good", artists=["Nina Simone"])
    return {"so_what": so_what.pk, "feeling_good": feeling_good.pk}


@pytest.fixture
def history_file(tmp_path: Path) -> Path:
    path = tmp_path / "Streaming_History_Audio_2024.json"
    path.write_text(json.dumps(HISTORY))
    return path


@pytest.mark.django_db
def test_the_command_imports_matched_plays_once_and_reports_the_rest(
    owner: User, catalog: dict[str, int], history_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("import_history", str(history_file), "--user", "OWNER@example.com", "--format", "spotify")

    events = {(event.track_id, event.kind) for event in ListeningEvent.objects.filter(user=owner)}
    assert events == {
        (catalog["so_what"], "complete"),
        (catalog["feeling_good"], "complete"),
        (catalog["feeling_good"], "skip"),
    }
    output = capsys.readouterr().out
    assert "Plays read: 4; matched to the catalog: 3; not in the catalog: 1; rows skipped: 1." in output
    assert "Unknown Band — Unknown Song (1 plays)" in output
    assert "item 5: no track name, artist or timestamp" in output

    call_command("import_history", str(history_file), "--user", owner.email, "--format", "spotify")
    assert ListeningEvent.objects.filter(user=owner).count() == 3
    assert "Events stored: 0; already imported before: 3." in capsys.readouterr().out


@pytest.mark.django_db
def test_a_file_of_another_format_exits_2_and_imports_nothing(
    owner: User, catalog: dict[str, int], history_file: Path
) -> None:
    with pytest.raises(CommandError, match="not a Last.fm scrobbles CSV") as error:
        call_command("import_history", str(history_file), "--user", owner.email, "--format", "lastfm")

    assert error.value.returncode == 2
    assert not ListeningEvent.objects.exists()


@pytest.mark.django_db
def test_without_the_listening_history_consent_nothing_is_imported(
    owner: User, catalog: dict[str, int], history_file: Path
) -> None:
    consent_withdraw(user=owner, purpose=ConsentPurpose.LISTENING_HISTORY)
    client = APIClient()
    client.force_authenticate(user=owner)

    with pytest.raises(CommandError) as error:
        call_command("import_history", str(history_file), "--user", owner.email, "--format", "spotify")
    response = client.post(
        "/api/feedback/history-imports/",
        {"file": SimpleUploadedFile("h.json", history_file.read_bytes()), "format": "spotify"},
        format="multipart",
    )

    assert error.value.returncode == 3
    assert response.status_code == 403
    assert "listening" in response.json()["detail"].lower()
    assert not ListeningEvent.objects.exists()
    assert not HistoryImport.objects.exists()


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_with_413(owner: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HISTORY_UPLOAD_MAX_BYTES = 100
    client = APIClient()
    client.force_authenticate(user=owner)

    response = client.post(
        "/api/feedback/history-imports/",
        {"file": SimpleUploadedFile("h.json", b"[" + b" " * 500 + b"]"), "format": "spotify"},
        format="multipart",
    )

    assert response.status_code == 413
    assert not HistoryImport.objects.exists()


@pytest.mark.django_db
def test_an_unknown_format_or_missing_file_is_a_400(owner: User) -> None:
    client = APIClient()
    client.force_authenticate(user=owner)

    assert (
        client.post("/api/feedback/history-imports/", {"format": "spotify"}, format="multipart").status_code
        == 400
    )
    response = client.post(
        "/api/feedback/history-imports/",
        {"file": SimpleUploadedFile("h.json", b"[]"), "format": "napster"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "format" in response.json()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_uploaded_history_is_imported_by_the_worker_with_a_report(
    celery_worker: object,
    owner: User,
    other_user: User,
    catalog: dict[str, int],
    history_file: Path,
    settings,
    tmp_path: Path,
) -> None:  # type: ignore[no-untyped-def]
    # MEDIA_ROOT is tmp_path here and in the worker (the celery_worker fixture).
    client = APIClient()
    client.force_authenticate(user=owner)

    response = client.post(
        "/api/feedback/history-imports/",
        {"file": SimpleUploadedFile("history.json", history_file.read_bytes()), "format": "spotify"},
        format="multipart",
    )

    assert response.status_code == 202
    url = f"/api/feedback/history-imports/{response.json()['id']}/"
    wait_until(lambda: client.get(url).json()["status"] in (JobStatus.SUCCEEDED, JobStatus.FAILED))
    job = client.get(url).json()
    assert job["status"] == JobStatus.SUCCEEDED, job["error"]
    assert (job["plays_read"], job["plays_matched"], job["plays_unmatched"], job["events_stored"]) == (
        4,
        3,
        1,
        3,
    )
    assert job["unmatched_tracks"] == [{"artist": "Unknown Band", "title": "Unknown Song", "plays": 1}]
    assert job["percent_done"] == 100
    assert not HistoryImport.objects.get(pk=job["id"]).file  # the upload is deleted once imported

    stranger = APIClient()
    stranger.force_authenticate(user=other_user)
    assert stranger.get(url).status_code == 404
    assert stranger.get("/api/feedback/history-imports/").json() == []


@pytest.mark.django_db
def test_a_zip_without_history_files_fails_the_job_with_a_message(
    owner: User, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    job = history_imports.history_import_request(
        user=owner,
        uploaded_file=SimpleUploadedFile("export.zip", buffer.getvalue()),
        history_format="spotify",
    )

    history_imports.history_import_run(import_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "holds no spotify history files" in job.error
    assert "Nothing was imported." in job.error
    assert not ListeningEvent.objects.exists()


@pytest.mark.django_db
def test_the_history_page_uploads_and_lists_imports(
    owner: User, history_file: Path, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(owner)

    page = client.get("/taste/history/")
    response = client.post(
        "/taste/history/",
        {
            "file": SimpleUploadedFile("Streaming_History_Audio_2024.json", history_file.read_bytes()),
            "history_format": "spotify",
        },
    )

    assert page.status_code == 200
    assert "Import your listening history" in page.content.decode()
    assert response.status_code == 302
    listing = client.get("/taste/history/").content.decode()
    assert "Streaming_History_Audio_2024.json" in listing
    assert 'hx-get="/taste/history/status/"' in listing  # live status while it is queued


@pytest.mark.django_db
def test_anonymous_visitors_cannot_import_or_read_imports() -> None:
    from django.test import Client

    page = Client().get("/taste/history/")
    upload = APIClient().post(
        "/api/feedback/history-imports/",
        {"file": SimpleUploadedFile("h.json", b"[]"), "format": "spotify"},
        format="multipart",
    )

    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert upload.status_code in (401, 403)
    assert APIClient().get("/api/feedback/history-imports/").status_code in (401, 403)
    assert not HistoryImport.objects.exists()
