"""A real Celery worker scans a folder and analyses its files on the "analysis" queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from catalog.media_analysis import ANALYSIS_INTERRUPTED
from catalog.models import LibraryScan, MediaFile
from catalog.sources import library_source_add
from config import celery as celery_config
from config.jobs import JobStatus
from tests.catalog.library_files import tag, write_audio
from tests.waiting import wait_until
from tests.workers import celery_worker_process


@pytest.fixture
def library_worker(transactional_db: None, tmp_path: Path) -> Iterator[object]:
    """A real worker process consuming every queue, as `make run`'s two workers do together."""
    with celery_worker_process(log_dir=tmp_path, queues=["celery", "library", "analysis"]) as worker:
        yield worker


def test_scans_and_analysis_are_routed_to_their_own_queues() -> None:
    routes = settings.CELERY_TASK_ROUTES
    assert routes["catalog.tasks.scan_library_source"] == {"queue": "library"}
    assert routes["catalog.tasks.analyse_media_files"] == {"queue": "analysis"}


@pytest.mark.parametrize(
    ("queues", "warms"), [("analysis", True), (["celery", "analysis"], True), ("celery", False)]
)
def test_only_a_worker_of_the_analysis_queue_warms_the_analysis_up(queues: object, warms: bool) -> None:
    celery_config._note_queues(options={"queues": queues})
    try:
        assert celery_config._consumes_analysis_queue is warms
    finally:
        celery_config._consumes_analysis_queue = False


def test_the_worker_scans_a_new_library_then_analyses_its_files(
    library_worker: object, tmp_path: Path
) -> None:
    root = tmp_path / "music"
    tag(write_audio(root / "A" / "B" / "01 - One.flac", seconds=5.0, seed=1), title="One", artists=["A"])
    write_audio(root / "A" / "B" / "02 - Two.wav", seconds=5.0, frequency=220.0, seed=2)

    library = library_source_add(root=str(root), scan=True)

    wait_until(lambda: LibraryScan.objects.filter(source=library, status=JobStatus.SUCCEEDED).exists())
    scan = LibraryScan.objects.get(source=library)
    assert (scan.files_seen, scan.files_new, scan.files_failed, scan.percent_done) == (2, 2, 0, 100)
    assert scan.heartbeat_at is not None
    unfinished = MediaFile.objects.filter(
        analysed_at__isnull=True, analysis_error__in=["", ANALYSIS_INTERRUPTED]
    )
    wait_until(lambda: not unfinished.exists(), timeout=180)
    for media_file in MediaFile.objects.select_related("track"):
        assert media_file.analysed_at is not None, media_file.analysis_error
        assert media_file.track.sound_vector is not None
        assert len(media_file.track.sound_vector) == 64
