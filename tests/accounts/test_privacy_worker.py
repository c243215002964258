"""Download my data and delete my account, end to end with a real Celery worker."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import token_create
from tests.accounts.test_privacy import give_user_data, references_to
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_export_then_erasure_through_the_worker(
    celery_worker: object, settings: Settings, tmp_path: Path, owner: User, user_password: str
) -> None:
    settings.MEDIA_ROOT = tmp_path
    browser = Client()
    give_user_data(owner, browser, user_password)
    _, raw = token_create(user=owner, name="script", scopes=["read", "write"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    export_id = api.post("/api/privacy/exports/").json()["id"]
    wait_until(lambda: api.get(f"/api/privacy/exports/{export_id}/").json()["status"] == "ready")
    download = api.get(f"/api/privacy/exports/{export_id}/download/")
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        seeds = json.loads(archive.read("data/feedback.tasteseed.json"))
        consents = json.loads(archive.read("data/accounts.consentrecord.json"))
    assert len(seeds) == 2
    assert {row["fields"]["purpose"] for row in consents} == {
        "personalization",
        "listening_history",
        "experiments",
    }

    browser.force_login(owner)
    closed = browser.post("/privacy/delete/", {"password": user_password, "confirm": "on"})
    assert closed.status_code == 302

    wait_until(lambda: not User.objects.filter(pk=owner.pk).exists())
    assert references_to(owner.pk, owner.email) == []
    assert not Client().login(email=owner.email, password=user_password)
    assert api.get("/api/me/").status_code == 401
    assert not any((tmp_path / "exports").iterdir())
