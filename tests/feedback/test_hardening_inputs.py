"""Nothing a user sends can crash or stall a worker: nesting, ZIP bombs, long lines, JSON bodies,
one import at a time, and an import's cost linear in its rows."""

from __future__ import annotations

import gzip
import io
import json
import resource
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from catalog import importing
from catalog import services as catalog_services
from catalog.importing import ImportFileError, ImportSpec
from config.bounded_json import JSONTooDeep, json_depth, json_loads_bounded
from config.jobs import JobStatus
from feedback import history_imports
from feedback.history_formats import HistoryFormatError, RowProblem, history_read
from feedback.models import HistoryImport, ListeningEvent

IMPORTS = "/api/feedback/history-imports/"
NESTED = b"[" * 100_000 + b"]" * 100_000  # the 200 KB file that grew a worker to 21 GB


def _upload_and_run(user: User, name: str, content: bytes, history_format: str = "spotify") -> HistoryImport:
    job = history_imports.history_import_request(
        user=user, uploaded_file=SimpleUploadedFile(name, content), history_format=history_format
    )
    history_imports.history_import_run(import_id=job.pk)
    job.refresh_from_db()
    return job


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'[{"a": "[[[[", "b": [1, {"c": "\\"[["}]}]') == 4
    assert json_depth(b"1") == 0
    with pytest.raises(JSONTooDeep, match="100,000 levels"):
        json_loads_bounded(NESTED)


def test_json_depth_reads_escaped_backslashes_and_quotes_as_string_content() -> None:
    # "\\" ends its string; "\\\"[" is a backslash, a quote and a bracket, all inside one string.
    assert json_depth(b'["\\\\", [["\\\\\\"["]]]') == 3
    assert json_depth('[{"naïve": "}}}]]]"}, ["\\u0022[["]]') == 2
    assert json_depth(b'"[[[[') == 0  # an unterminated string: the parser never reaches its brackets
    assert json_depth(b"[" * 40 + b'"]]]"' + b"]" * 40) == 40


@pytest.mark.django_db
def test_a_deeply_nested_spotify_history_fails_the_import_with_a_message_in_bounded_memory(
    owner: User, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()

    job = _upload_and_run(owner, "Streaming_History_Audio_2024.json", NESTED)

    assert time.perf_counter() - started < 5
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 100
    assert job.status == JobStatus.FAILED
    assert "nested more than 32 levels deep" in job.error
    assert "Nothing was imported." in job.error
    assert not job.file  # the upload is removed
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("history_format", "name"), [("spotify", "h.json"), ("listenbrainz", "l.jsonl"), ("lastfm", "s.csv")]
)
def test_every_history_format_refuses_deep_nesting_or_endless_lines_without_reading_them_whole(
    history_format: str, name: str
) -> None:
    with pytest.raises(HistoryFormatError) as refused:
        list(history_read(io.BytesIO(NESTED + b"x" * 70_000), history_format=history_format, name=name))
    assert name in str(refused.value)


def test_a_deeply_nested_listenbrainz_line_after_good_ones_is_a_skipped_row() -> None:
    good = json.dumps(
        {"listened_at": 1_700_000_000, "track_metadata": {"artist_name": "A", "track_name": "T"}}
    ).encode()
    deep = b"[" * 5_000 + b"]" * 5_000

    parsed = list(
        history_read(io.BytesIO(good + b"\n" + deep + b"\n"), history_format="listenbrainz", name="l")
    )

    assert isinstance(parsed[1], RowProblem)
    assert parsed[1].where == "l line 2"
    assert "5,000 levels" in parsed[1].reason


def _bomb(ratio_target: int = 342) -> bytes:
    """A ZIP whose one history file inflates a few hundred times its compressed size."""
    row = {"ts": "2024-01-01T00:00:00Z", "master_metadata_track_name": "a", "ms_played": 1}
    content = b"[" + b",".join([json.dumps(row).encode()] * 200_000) + b"]"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("Streaming_History_Audio_2024.json", content)
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_before_inflating_with_a_message(owner: User, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    bomb = _bomb()
    info = zipfile.ZipFile(io.BytesIO(bomb)).infolist()[0]
    assert info.file_size / info.compress_size > 100

    job = _upload_and_run(owner, "my_spotify_data.zip", bomb)

    assert job.status == JobStatus.FAILED
    assert "at most 100:1 is accepted (a ZIP bomb?)" in job.error
    assert job.plays_read == 0
    assert not ListeningEvent.objects.exists()


@pytest.mark.django_db
def test_a_zip_inflating_past_the_size_limit_is_refused(owner: User, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.HISTORY_ZIP_MAX_INFLATED_BYTES = 1000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Streaming_History_Audio_2024.json", "[" + " " * 2000 + "]")

    job = _upload_and_run(owner, "my_spotify_data.zip", buffer.getvalue())

    assert job.status == JobStatus.FAILED
    assert "inflate to 2,002 bytes; at most 1,000 are accepted" in job.error


@pytest.mark.django_db
def test_a_listener_runs_one_import_at_a_time_and_is_told_so(
    owner: User, other_user: User, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    client = APIClient()
    client.force_authenticate(user=owner)

    def upload(api: APIClient) -> int:
        file = SimpleUploadedFile("h.json", b"[]")
        return api.post(IMPORTS, {"file": file, "format": "spotify"}, format="multipart").status_code

    assert upload(client) == 202
    second = client.post(
        IMPORTS, {"file": SimpleUploadedFile("h.json", b"[]"), "format": "spotify"}, format="multipart"
    )
    assert second.status_code == 409
    assert "already queued or running" in second.json()["detail"]
    stranger = APIClient()
    stranger.force_authenticate(user=other_user)
    assert upload(stranger) == 202  # another listener is not held up

    history_imports.history_import_run(import_id=HistoryImport.objects.get(user=owner).pk)
    assert upload(client) == 202  # the first finished: the next may start


@pytest.mark.django_db
def test_the_unmatched_report_is_built_once_per_import_not_per_batch(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {
            "ts": f"2024-01-01T00:{index // 60:02d}:{index % 60:02d}Z",
            "master_metadata_track_name": f"Unknown {index}",
            "master_metadata_album_artist_name": "Nobody",
            "ms_played": 200_000,
        }
        for index in range(3 * history_imports.HISTORY_BATCH + 1)
    ]
    reports: list[int] = []
    original = history_imports.HistoryImportSummary.unmatched_report
    monkeypatch.setattr(
        history_imports.HistoryImportSummary,
        "unmatched_report",
        lambda summary: reports.append(1) or original(summary),
    )

    job = _upload_and_run(owner, "h.json", json.dumps(rows).encode())

    assert job.status == JobStatus.SUCCEEDED
    assert job.plays_unmatched == len(rows)
    assert len(job.unmatched_tracks) == history_imports.HISTORY_UNMATCHED_KEPT
    assert len(reports) == 1


@pytest.mark.django_db
def test_any_json_api_body_too_deep_is_a_400_and_too_large_a_413(owner: User, settings) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user=owner)

    deep = client.post("/api/feedback/events/", NESTED, content_type="application/json")
    assert deep.status_code == 400
    assert "nested 100,000 levels deep" in deep.json()["detail"]

    settings.API_JSON_MAX_BYTES = 1000
    large = client.post(
        "/api/feedback/events/", b'{"events": [' + b" " * 2000 + b"]}", content_type="application/json"
    )
    assert large.status_code == 413
    assert "larger than 1,000 bytes" in large.json()["detail"]


SPEC = ImportSpec(file_format="jsonl", source="test")


def test_a_deeply_nested_catalog_line_is_a_skipped_row() -> None:
    lines = '{"source_id": "s1", "title": "T", "artist": "A"}\n' + "[" * 5_000 + "]" * 5_000 + "\n"

    rows = list(importing.read_records(io.StringIO(lines), SPEC))

    assert rows[0].record is not None
    assert rows[1].line_number == 2
    assert "5,000 levels" in rows[1].error


def test_an_endless_catalog_line_is_refused_before_it_is_read_whole() -> None:
    with pytest.raises(ImportFileError, match="Line 1 is longer than"):
        list(importing.read_records(io.StringIO("x" * (importing.MAX_LINE_CHARS + 10)), SPEC))


@pytest.mark.django_db
def test_a_gzip_bomb_catalog_is_refused_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "GZIP_FLOOR_BYTES", 1024)
    data = gzip.compress(b'{"source_id": "s1", "title": "T", "artist": "A"}\n' + b"\n" * 5_000_000)

    with pytest.raises(ImportFileError, match="inflates to more than"):
        catalog_services.catalog_import_stream(
            binary=io.BytesIO(data), name="c.jsonl.gz", bytes_total=len(data), spec=SPEC
        )
