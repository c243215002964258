"""Liveness of the parts Segue needs: database, pgvector, broker and Celery worker."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

WORKER_PING_TIMEOUT_SECONDS = 1.0


def _check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    return {"ok": True, "version": version.split(",")[0]}


def _check_pgvector() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    if row is None:
        return {"ok": False, "error": "extension 'vector' is not installed"}
    return {"ok": True, "version": row[0]}


def _check_broker() -> dict[str, Any]:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True}


def _check_worker() -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS) or []
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {"ok": False, "error": "no worker answered the heartbeat ping", "workers": []}
    return {"ok": True, "workers": workers}


CHECKS = {
    "database": _check_database,
    "pgvector": _check_pgvector,
    "broker": _check_broker,
    "worker": _check_worker,
}


def run_checks() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever its kind
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return results


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )
