"""Privacy center: export and erasure, proven generically over every model related to users."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts import privacy
from accounts.exports import data_export_build, data_export_request
from accounts.models import DataExport, ExportStatus, User
from accounts.privacy import user_relations
from accounts.pseudonyms import pseudonym_for
from accounts.services import (
    account_erase,
    account_erasure_request,
    consent_withdraw,
    retention_purge,
    token_create,
)
from catalog.models import CatalogImport
from feedback.taste_seeds import taste_seeds_set
from tests.catalog.factories import TagFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def give_user_data(user: User, client: Client, password: str) -> None:
    """Something in every kind of record that exists today (playlists and events come later)."""
    consent_withdraw(user=user, purpose="experiments")
    token_create(user=user, name="scrobbler", scopes=["read", "feedback"])
    rock = TagFactory(name="rock")
    track = TrackFactory(artists=["The Dawns"], tags=[rock])
    taste_seeds_set(user=user, tag_ids=[rock.pk], artist_ids=[track.artists.get().pk])
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=user.email,
        action_flag=ADDITION,
    )
    CatalogImport.objects.create(created_by=user, original_name="tracks.csv", source="x", bytes_total=1)
    # A session and a failed login attempt (django-axes keeps the e-mail).
    assert client.login(email=user.email, password=password)
    client.post("/accounts/login/", {"username": user.email, "password": "wrong"})


def build_export(user: User) -> DataExport:
    export = data_export_request(user=user)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    return export


def zip_files(export: DataExport, media_root: Path) -> dict[str, Any]:
    with zipfile.ZipFile(media_root / export.file_path) as archive:
        return {
            name: archive.read(name).decode() if name.endswith(".txt") else json.loads(archive.read(name))
            for name in archive.namelist()
        }


def references_to(user_id: int, email: str) -> list[str]:
    """Every row, in any table, that holds the user's id (by a key to users) or their e-mail."""
    found = []
    user_model = apps.get_model("accounts", "User")
    for model in apps.get_models(include_auto_created=True):
        manager = model._default_manager
        if model is user_model and manager.filter(pk=user_id).exists():
            found.append(f"{model._meta.label} row {user_id}")
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is user_model:
                lookup, what = {field.attname: user_id}, field.name
            elif isinstance(field, models.CharField | models.TextField):
                lookup, what = {f"{field.name}__icontains": email}, f"{field.name} (e-mail)"
            else:
                continue
            if manager.filter(**lookup).exists():
                found.append(f"{model._meta.label}.{what}")
    for session in Session.objects.all():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            found.append("a session")
    return found


# --- discovery ------------------------------------------------------------------------------------


def test_discovery_finds_every_model_with_a_key_to_users() -> None:
    labels = {relation.label for relation in user_relations()}

    assert {
        "accounts.consentrecord",
        "accounts.personalaccesstoken",
        "feedback.tasteseed",
        "accounts.dataexport",
        "accounts.user_groups",
        "admin.logentry",
        "catalog.catalogimport",
    } <= labels
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is User:
                assert model._meta.label_lower in labels


# --- export ---------------------------------------------------------------------------------------


def test_export_holds_every_row_of_every_related_model(
    media_root: Path, client: Client, owner: User, other_user: User, user_password: str
) -> None:
    give_user_data(owner, client, user_password)
    give_user_data(other_user, Client(), user_password)

    export = build_export(owner)
    files = zip_files(export, media_root)

    assert export.status == ExportStatus.READY
    assert export.expires_at is not None and export.expires_at > timezone.now() + timedelta(hours=47)
    assert files["account.json"]["email"] == "owner@example.com"
    assert files["account.json"]["pseudonym"] == pseudonym_for(owner)
    assert files["consent_state.json"]["experiments"] is False
    for relation in user_relations():
        rows = files[f"data/{relation.label}.json"]
        expected = sorted(relation.queryset_for(owner).values_list("pk", flat=True))
        assert sorted(row["pk"] for row in rows) == expected, relation.label
    # Nothing of the other listener, and no secret, even hashed.
    text = json.dumps(files)
    assert "other@example.com" not in text
    assert "token_hash" not in text and "password" not in files["account.json"]
    assert len(files["data/feedback.tasteseed.json"]) == 2


def test_export_includes_registered_parts(media_root: Path, owner: User) -> None:
    privacy.register_export_part("taste_factors", lambda *, user: {"user": user.pk, "factors": [0.1, 0.2]})
    try:
        files = zip_files(build_export(owner), media_root)
    finally:
        privacy._export_parts.pop("taste_factors")

    assert files["extra/taste_factors.json"] == {"user": owner.pk, "factors": [0.1, 0.2]}


def test_export_request_reuses_an_export_under_way(media_root: Path, owner: User) -> None:
    first = data_export_request(user=owner)

    assert data_export_request(user=owner).pk == first.pk


def test_an_export_whose_worker_died_is_built_by_the_redelivered_task(media_root: Path, owner: User) -> None:
    from datetime import timedelta

    from django.utils import timezone

    export = data_export_request(user=owner)
    long_ago = timezone.now() - timedelta(hours=3)
    DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, started_at=long_ago)

    assert data_export_request(user=owner).pk != export.pk  # a lost run does not block a new request
    data_export_build(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert export.file_path


def test_export_build_runs_once(media_root: Path, owner: User) -> None:
    export = build_export(owner)
    data_export_build(export_id=export.pk)  # a redelivered task

    assert DataExport.objects.get(pk=export.pk).file_path == export.file_path
    assert len(list((media_root / "exports").iterdir())) == 1


def test_owner_downloads_the_zip(
    media_root: Path, client: Client, api_client: APIClient, owner: User
) -> None:
    export = build_export(owner)
    client.force_login(owner)
    api_client.force_authenticate(user=owner)

    page = client.get(f"/privacy/exports/{export.pk}/download/")
    api = api_client.get(f"/api/privacy/exports/{export.pk}/download/")

    assert page.status_code == 200
    assert page["Content-Disposition"].startswith("attachment")
    assert b"".join(page.streaming_content)[:2] == b"PK"
    assert api.status_code == 200
    detail = api_client.get(f"/api/privacy/exports/{export.pk}/").json()
    assert detail["download_url"] == f"/api/privacy/exports/{export.pk}/download/"


def test_expired_export_link_is_gone_with_a_message(
    media_root: Path, client: Client, api_client: APIClient, owner: User
) -> None:
    export = build_export(owner)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(owner)
    api_client.force_authenticate(user=owner)

    page = client.get(f"/privacy/exports/{export.pk}/download/")
    api = api_client.get(f"/api/privacy/exports/{export.pk}/download/")

    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert api.status_code == 410
    assert "expired" in api.json()["detail"]


def test_retention_purge_deletes_expired_zips_and_runs_hooks(media_root: Path, owner: User) -> None:
    export = build_export(owner)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    cutoffs = []

    def purge_old_events(*, cutoff: Any) -> int:
        cutoffs.append(cutoff)
        return 7

    privacy.register_retention_hook(purge_old_events)
    try:
        purged = retention_purge()
    finally:
        privacy._retention_hooks.remove(purge_old_events)

    export.refresh_from_db()
    assert purged == 8
    assert export.status == ExportStatus.EXPIRED
    assert not (media_root / "exports").exists() or not any((media_root / "exports").iterdir())
    assert timezone.now() - cutoffs[0] >= timedelta(days=364)


def test_retention_purge_clears_expired_sessions(owner: User, client: Client) -> None:
    client.force_login(owner)
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
    retention_purge()
    assert not Session.objects.exists()


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_leaves_nothing_that_refers_to_the_user(
    media_root: Path, client: Client, owner: User, other_user: User, user_password: str
) -> None:
    give_user_data(owner, client, user_password)
    give_user_data(other_user, Client(), user_password)
    stale = Client()
    stale.force_login(owner)  # a session that has expired still names the user
    yesterday = timezone.now() - timedelta(days=1)
    Session.objects.filter(pk=stale.session.session_key).update(expire_date=yesterday)
    build_export(owner)
    owner_id = owner.pk
    assert references_to(owner_id, "owner@example.com")  # the check sees data when it is there
    hooked: list[int] = []
    privacy.register_erasure_hook(lambda *, user: hooked.append(user.pk))

    try:
        account_erasure_request(user=owner, password=user_password, request=RequestFactory().post("/"))
        assert account_erase(user_id=owner_id)
    finally:
        privacy._erasure_hooks.pop()

    assert references_to(owner_id, "owner@example.com") == []
    assert hooked == [owner_id]
    assert not any((media_root / "exports").iterdir())
    # The other listener keeps everything; the shared record stays, unlinked.
    assert references_to(other_user.pk, "other@example.com")
    assert CatalogImport.objects.filter(created_by__isnull=True).count() == 1
    # Running the job again (a redelivered task) is harmless.
    assert account_erase(user_id=owner_id) is False


def test_delete_my_account_page_needs_password_and_confirmation(
    client: Client, owner: User, user_password: str
) -> None:
    client.force_login(owner)

    unconfirmed = client.post("/privacy/delete/", {"password": user_password})
    wrong = client.post("/privacy/delete/", {"password": "nope", "confirm": "on"})
    owner.refresh_from_db()
    assert unconfirmed.status_code == 400 and wrong.status_code == 400
    assert "password is not right" in wrong.content.decode()
    assert owner.is_active

    done = client.post("/privacy/delete/", {"password": user_password, "confirm": "on"})

    assert done["Location"] == "/accounts/login/"
    owner.refresh_from_db()
    assert not owner.is_active
    assert not Client().login(email="owner@example.com", password=user_password)
    assert client.get("/privacy/")["Location"].startswith("/accounts/login/")


def test_api_account_delete_needs_the_password(
    api_client: APIClient, owner: User, user_password: str
) -> None:
    api_client.force_authenticate(user=owner)

    assert api_client.post("/api/account/delete/", {"password": "nope"}).status_code == 400
    assert api_client.post("/api/account/delete/", {"password": user_password}).status_code == 202
    owner.refresh_from_db()
    assert not owner.is_active


# --- the privacy center and isolation ----------------------------------------------------------------


def test_privacy_center_counts_what_is_held(client: Client, owner: User, user_password: str) -> None:
    give_user_data(owner, client, user_password)
    client.force_login(owner)

    page = client.get("/privacy/").content.decode()

    assert "Your consent answers" in page
    assert "Genres and artists you picked" in page
    assert "API tokens" in page
    summary = APIClient()
    summary.force_authenticate(user=owner)
    kinds = {row["kind"]: row["count"] for row in summary.get("/api/privacy/summary/").json()}
    assert kinds["feedback.tasteseed"] == 2


def test_export_request_page_starts_an_export_and_polls(
    media_root: Path, client: Client, owner: User
) -> None:
    client.force_login(owner)

    response = client.post("/privacy/exports/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert DataExport.objects.filter(user=owner, status=ExportStatus.QUEUED).count() == 1


def test_stranger_cannot_reach_my_export(
    media_root: Path, client: Client, api_client: APIClient, owner: User, other_user: User
) -> None:
    export = build_export(owner)
    client.force_login(other_user)
    api_client.force_authenticate(user=other_user)

    assert client.get(f"/privacy/exports/{export.pk}/download/").status_code == 404
    assert api_client.get(f"/api/privacy/exports/{export.pk}/").status_code == 404
    assert api_client.get(f"/api/privacy/exports/{export.pk}/download/").status_code == 404
    assert api_client.get("/api/privacy/exports/").json() == []
    assert "owner@example.com" not in client.get("/privacy/").content.decode()


def test_anonymous_is_sent_to_log_in(client: Client, api_client: APIClient) -> None:
    assert client.get("/privacy/")["Location"].startswith("/accounts/login/")
    assert client.get("/privacy/tokens/")["Location"].startswith("/accounts/login/")
    assert api_client.get("/api/privacy/consents/").status_code == 401


def test_listener_cannot_reach_curator_pages_or_apis(
    client: Client, api_client: APIClient, owner: User, curator: User
) -> None:
    client.force_login(owner)
    api_client.force_authenticate(user=owner)

    assert client.get("/privacy/curator/consents/").status_code == 403
    assert api_client.get("/api/privacy/consent-overview/").status_code == 403
    assert "Consent overview" not in client.get("/privacy/").content.decode()

    client.force_login(curator)
    api_client.force_authenticate(user=curator)
    assert client.get("/privacy/curator/consents/").status_code == 200
    rows = {row["purpose"]: row for row in api_client.get("/api/privacy/consent-overview/").json()}
    assert rows["personalization"]["granted"] == 2


def test_pseudonyms_are_stable_distinct_and_keyed(owner: User, other_user: User, settings: Settings) -> None:
    first = pseudonym_for(owner)

    assert first == pseudonym_for(owner.pk)
    assert first != pseudonym_for(other_user)
    assert str(owner.pk) != first and "owner" not in first
    settings.PSEUDONYM_SALT = "another-salt"
    assert pseudonym_for(owner) != first
