"""Prometheus metrics: request latency, generation latency by stage, Celery queue depth, task
failures, events ingested and drift alerts, served at /metrics.

Web and Celery worker processes all write here, so prometheus_client runs in multiprocess mode:
every process writes its samples to files in PROMETHEUS_MULTIPROC_DIR (set below, before
prometheus_client is first imported) and /metrics sums them. Other apps call the small functions
here (``metrics_record_generation``, ``metrics_count_events``…), never prometheus_client itself.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from config import embedded

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(embedded.data_dir() / "prometheus"))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from celery.signals import task_failure  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.views.decorators.cache import never_cache  # noqa: E402
from django.views.decorators.http import require_GET  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric  # noqa: E402

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "segue_http_request_duration_seconds",
    "Web request latency.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
GENERATION_STAGE_SECONDS = Histogram(
    "segue_generation_stage_seconds",
    "Playlist generation latency by stage (parse, candidates, score, rerank, sequence, explain, total).",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
TASK_FAILURES = Counter("segue_celery_task_failures_total", "Celery tasks that raised.", ["task"])
EVENTS_INGESTED = Counter("segue_feedback_events_ingested_total", "Listening events stored.")
DRIFT_ALERTS = Counter("segue_drift_alerts_total", "Drift checks that crossed their threshold.", ["check"])


def metrics_record_generation(stage_seconds: Mapping[str, float]) -> None:
    """Observe one generated version's ``PlaylistVersion.stage_seconds`` (and their total)."""
    total = 0.0
    for stage, seconds in stage_seconds.items():
        GENERATION_STAGE_SECONDS.labels(stage=stage).observe(float(seconds))
        total += float(seconds)
    GENERATION_STAGE_SECONDS.labels(stage="total").observe(total)


def metrics_count_events(count: int) -> None:
    """Count ``count`` stored listening events (the feedback app calls it after a batch)."""
    if count > 0:
        EVENTS_INGESTED.inc(count)


def metrics_count_drift_alert(check: str) -> None:
    DRIFT_ALERTS.labels(check=check).inc()


@task_failure.connect
def _count_task_failure(sender: Any = None, **kwargs: Any) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


class MetricsMiddleware:
    """Times every request; the route label is the URL pattern's name, never the raw path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match else "") or "unmatched"
        REQUEST_SECONDS.labels(
            method=request.method or "", route=route, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


class QueueDepthCollector:
    """Messages waiting in each Celery queue (Redis LLEN), read at scrape time."""

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "segue_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, depth in queue_depths().items():
            gauge.add_metric([queue], depth)
        yield gauge


def queue_depths() -> dict[str, float]:
    """Depth per queue; a broker that does not answer reports -1 rather than failing the scrape."""
    import redis

    queues = getattr(settings, "METRICS_CELERY_QUEUES", ["celery"])
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        depths = {queue: float(client.llen(queue)) for queue in queues}
        client.close()
        return depths
    except redis.RedisError:
        return dict.fromkeys(queues, -1.0)


def metrics_allowed(request: HttpRequest) -> bool:
    """Who may scrape: ``Authorization: Bearer <METRICS_TOKEN>`` (when set), a logged-in staff
    user, or a client address in METRICS_ALLOWED_IPS (as django-axes reads it, PROXY_COUNT aware).
    Nobody else: the numbers describe other people's use of the service."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if token and hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    allowed = getattr(settings, "METRICS_ALLOWED_IPS", [])
    if not allowed:
        return False
    # Here, not at the top: this module loads with the Celery app, before Django's app registry,
    # and axes.helpers imports axes' models.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) in allowed


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus scrape endpoint, for the token, staff or allowed addresses (metrics_allowed)."""
    if not metrics_allowed(request):
        if getattr(settings, "METRICS_TOKEN", ""):
            response = HttpResponse("A metrics token is required.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return HttpResponse(
            "Metrics are for staff, the metrics token or METRICS_ALLOWED_IPS.\n",
            status=403,
            content_type="text/plain",
        )
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(QueueDepthCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
