"""Monitoring through the real database, broker and worker: /metrics, request ids that follow a
task, the schedule's task runs, drift reports and the model-quality gate."""

from __future__ import annotations

import json
import logging
import time
import zlib
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from config.metrics import metrics_count_events, metrics_record_generation
from config.request_id import HEADER, JsonFormatter, RequestIdFilter, request_id_var
from editorial.experiments import monitoring_selectors, monitoring_services, services
from editorial.experiments.models import DriftReport, ModelPromotion, TaskOutcome, TaskRun
from feedback.learning.quality import ModelMetrics
from playlists.models import PlaylistItem, PlaylistVersion
from tests.experiments.factories import tracks_make
from tests.playlists.factories import playlist_make, version_make


def test_metrics_scrape_in_the_prometheus_format(db: None, staff_user: User) -> None:
    client = Client()
    client.force_login(staff_user)
    client.get("/healthz")
    metrics_record_generation({"parse": 0.01, "candidates": 0.2})
    metrics_count_events(3)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for name in (
        "segue_http_request_duration_seconds_bucket",
        'segue_generation_stage_seconds_count{stage="candidates"}',
        'segue_generation_stage_seconds_count{stage="total"}',
        "segue_feedback_events_ingested_total",
        'segue_celery_queue_depth{queue="celery"}',
    ):
        assert name in body, name


def test_metrics_want_the_token_when_one_is_set(db: None, settings: object) -> None:
    settings.METRICS_TOKEN = "s3cret-token"  # type: ignore[attr-defined]
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


def test_metrics_are_not_public(db: None, owner: User, settings: object) -> None:
    listener = Client()
    listener.force_login(owner)

    assert Client().get("/metrics").status_code == 403
    assert listener.get("/metrics").status_code == 403
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]  # type: ignore[attr-defined]
    assert Client().get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 403


def test_every_response_carries_a_request_id(db: None) -> None:
    response = Client().get("/healthz")
    assert len(response[HEADER]) == 32
    given = Client().get("/healthz", HTTP_X_REQUEST_ID="abc-123-def-456")
    assert given[HEADER] == "abc-123-def-456"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert forged[HEADER] != "<script>"


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("segue", logging.INFO, __file__, 1, "built %s", ("playlist",), None)
    token = request_id_var.set("req-1234567")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "built playlist" and line["request_id"] == "req-1234567"


@pytest.mark.worker
def test_a_scheduled_task_run_is_recorded_with_the_request_id_that_enqueued_it(celery_worker: object) -> None:
    from editorial.experiments.tasks import drift_report

    token = request_id_var.set("web-request-0042")
    try:
        result = drift_report.delay()  # type: ignore[attr-defined]
    finally:
        request_id_var.reset(token)
    deadline = time.monotonic() + 60
    while not TaskRun.objects.filter(task_id=result.id, outcome=TaskOutcome.SUCCESS).exists():
        assert time.monotonic() < deadline, "the worker did not run the drift report"
        time.sleep(0.2)
    run = TaskRun.objects.get(task_id=result.id)
    assert run.task == "editorial.experiments.tasks.drift_report"
    assert run.request_id == "web-request-0042"
    assert run.duration_seconds is not None and run.duration_seconds >= 0
    assert DriftReport.objects.exists()


def test_the_schedule_lists_every_beat_entry_with_its_last_run(curator: User) -> None:
    now = timezone.now()
    monitoring_services.task_run_start(
        task="editorial.experiments.tasks.drift_report", task_id="t-1", now=now - timedelta(seconds=5)
    )
    monitoring_services.task_run_finish(task_id="t-1", outcome=TaskOutcome.FAILURE, error="boom", now=now)
    # Celery sends postrun after a failure too: the failure stays.
    monitoring_services.task_run_finish(task_id="t-1", outcome=TaskOutcome.SUCCESS, now=now)
    entries = {entry.name: entry for entry in monitoring_selectors.schedule_status(user=curator)}
    assert {
        "drift-report",
        "embed-pending-tracks",
        "refresh-due-playlists",
        "privacy-retention-purge",
    } <= set(entries)
    last = entries["drift-report"].last_run
    assert (
        last is not None and last.outcome == TaskOutcome.FAILURE and last.duration_seconds == pytest.approx(5)
    )


def test_schedules_read_in_words(curator: User) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    weekdays = CrontabSchedule.objects.create(minute="*/15", hour="*", day_of_week="1-5")
    PeriodicTask.objects.create(name="curator-digest", task="editorial.tasks.digest", crontab=weekdays)

    entries = {entry.name: entry for entry in monitoring_selectors.schedule_status(user=curator)}

    assert entries["feedback-train-cf"].schedule == "At 03:00"
    assert entries["curator-digest"].schedule.startswith("Every 15 minutes")
    assert "Monday" in entries["curator-digest"].schedule and "Friday" in entries["curator-digest"].schedule
    assert entries["embed-pending-tracks"].schedule == "every 10 min"


def _hashing_encoder(texts: list[str]) -> np.ndarray:
    """A stand-in for the text model: bag of hashed words, unit length (what drift needs)."""
    vectors = np.zeros((len(texts), 256))
    for row, text in enumerate(texts):
        for word in text.split():
            vectors[row, zlib.crc32(word.encode()) % 256] += 1.0
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _prompts(owner: User, prompts: list[str], *, days_ago: float, score: float, track: object) -> None:
    for prompt in prompts:
        version = version_make(playlist_make(owner=owner, prompt=prompt), tracks=[track])  # type: ignore[list-item]
        PlaylistVersion.objects.filter(pk=version.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
        PlaylistItem.objects.filter(version=version).update(
            score=score + 0.01 * (zlib.crc32(prompt.encode()) % 10)
        )


JAZZ = [f"relaxing evening jazz {word}" for word in ("piano", "sax", "trio", "club", "night")] * 6
METAL = [f"brutal fast metal {word}" for word in ("riffs", "drums", "growl", "thrash", "doom")] * 6


def test_drift_report_alerts_on_a_shifted_window_and_not_on_a_stable_one(
    owner: User, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    track = tracks_make(1)[0]
    _prompts(owner, JAZZ, days_ago=20, score=0.5, track=track)
    _prompts(owner, JAZZ, days_ago=2, score=0.5, track=track)
    stable = monitoring_services.drift_report_create(encoder=_hashing_encoder)
    assert stable.alerts == 0, stable.checks

    _prompts(owner, METAL + METAL, days_ago=1, score=2.0, track=track)
    with caplog.at_level(logging.WARNING):
        shifted = monitoring_services.drift_report_create(encoder=_hashing_encoder)
    alerted = {check["name"] for check in shifted.checks if check["alert"]}
    assert {"prompt embedding shift", "new prompt clusters", "model score PSI"} <= alerted
    assert shifted.alerts == len(alerted)
    assert any("Drift alert" in message for message in caplog.messages)
    settings.METRICS_TOKEN = "scrape"
    body = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").content.decode()
    assert 'segue_drift_alerts_total{check="prompt embedding shift"}' in body


def test_a_worse_model_is_not_promoted_and_the_decision_is_recorded(db: None) -> None:
    current = ModelMetrics(recall_at_k=0.30, ndcg_at_k=0.20, users=200)
    refused = monitoring_services.model_promotion_decide(
        model_name="cf-als", candidate_version="7", current=current, candidate=ModelMetrics(0.25, 0.21, 200)
    )
    assert not refused.promoted and "recall_at_k" in refused.reason
    promoted = monitoring_services.model_promotion_decide(
        model_name="cf-als", candidate_version="8", current=current, candidate=ModelMetrics(0.31, 0.22, 200)
    )
    assert promoted.promoted
    assert ModelPromotion.objects.count() == 2


def test_the_fairness_report_shows_the_exposure_floors_effect(
    curator: User, owner: User, settings: object
) -> None:
    popular = tracks_make(4, popularity=[90])
    tail = tracks_make(8, popularity=[5])[4:]
    for floor, tracks in ((0.0, popular), (0.5, popular[:2] + tail[:2])):
        settings.ENGINE_EXPOSURE_FLOOR = floor  # type: ignore[attr-defined]
        for _ in range(3):
            version = version_make(playlist_make(owner=owner), tracks=tracks)
            services.version_assignment_record(version=version, assignment=None)
    report = monitoring_selectors.fairness_report(user=curator, days=3)
    by_floor = {row.floor: row for row in report.floors}
    assert by_floor[0.0].long_tail_share == 0.0 and by_floor[0.5].long_tail_share == 0.5
    assert by_floor[0.0].versions == by_floor[0.5].versions == 3
    assert report.days and 0.0 <= report.days[-1].gini <= 1.0
    assert not report.charts["long_tail"].is_empty
