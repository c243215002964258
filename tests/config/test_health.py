import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_part_ok_with_a_worker_running(celery_worker: object, client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["version"].startswith("PostgreSQL")
    assert body["checks"]["pgvector"]["ok"] and body["checks"]["pgvector"]["version"]
    assert body["checks"]["broker"] == {"ok": True}
    assert body["checks"]["worker"]["workers"]


def test_healthz_is_degraded_and_503_without_a_worker(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_healthz_needs_no_login_and_takes_only_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
