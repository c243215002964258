"""Privacy: withdrawn personalization leaves CF training and drops the listener's factors at
once; the data export covers review items on the listener's versions and their login records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.test import Client

from accounts import privacy
from accounts.exports import export_contents
from accounts.models import ConsentPurpose, Role, User
from accounts.services import consent_record_choices, consent_withdraw
from editorial.models import QueueReason, ReviewItem
from feedback import ingestion as feedback_ingestion
from feedback import services as feedback_services
from feedback.models import TrackAffinity, UserFactor
from tests.catalog.factories import TrackFactory
from tests.conftest import consenting_user
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def _listen(user: User, tracks: list[int]) -> None:
    moment = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    result = feedback_ingestion.events_ingest(
        user=user,
        events=[
            {"id": str(uuid.uuid4()), "kind": "complete", "track": t, "occurred_at": moment} for t in tracks
        ],
    )
    assert not result.errors


@pytest.fixture
def crowd(owner: User) -> list[User]:
    tracks = [TrackFactory().pk for _ in range(10)]
    listeners = [owner] + [consenting_user(f"l{index}@example.com", Role.LISTENER) for index in range(4)]
    for index, listener in enumerate(listeners):
        _listen(listener, tracks[:5] if index % 2 == 0 else tracks[5:])
    return listeners


def test_withdrawing_personalization_drops_the_cf_vector_at_once(owner: User, crowd: list[User]) -> None:
    assert feedback_services.cf_train(factors=8, iterations=5) is not None
    assert UserFactor.objects.filter(user=owner).exists()

    consent_withdraw(user=owner, purpose=ConsentPurpose.PERSONALIZATION)

    assert not UserFactor.objects.filter(user=owner).exists()
    assert UserFactor.objects.count() == len(crowd) - 1
    # A vector refresh (after new events) does not bring it back either.
    assert not feedback_services.user_vector_refresh(user_id=owner.pk)
    assert not UserFactor.objects.filter(user=owner).exists()


def test_cf_training_leaves_out_listeners_without_personalization(owner: User, crowd: list[User]) -> None:
    withdrawn = crowd[1]
    consent_record_choices(
        user=withdrawn, choices={**dict.fromkeys(ConsentPurpose.values, True), "personalization": False}
    )
    kept_rows = TrackAffinity.objects.exclude(user=withdrawn).filter(mass__gt=0).count()

    run = feedback_services.cf_train(factors=8, iterations=5)

    assert run is not None
    assert run.users == len(crowd) - 1
    assert run.interactions == kept_rows
    assert not UserFactor.objects.filter(user=withdrawn).exists()
    assert np.asarray(UserFactor.objects.get(user=owner).vector).any()
    # Their affinities stay (listening history is still granted); only training ignores them.
    assert TrackAffinity.objects.filter(user=withdrawn).exists()


def test_export_holds_review_items_on_my_versions_even_if_a_curator_resolved_them(
    owner: User, other_user: User, curator: User
) -> None:
    mine = version_make(playlist_make(owner=owner))
    theirs = version_make(playlist_make(owner=other_user))
    my_item = ReviewItem.objects.create(
        version=mine, reason=QueueReason.REPORT, resolved_by=curator, status="resolved"
    )
    ReviewItem.objects.create(version=theirs, reason=QueueReason.REPORT)

    files = export_contents(user=owner)

    rows = files["data/editorial.reviewitem.json"]
    assert [row["pk"] for row in rows] == [my_item.pk]
    # The curator who resolved it still finds it in theirs (the key to them).
    assert [row["pk"] for row in export_contents(user=curator)["data/editorial.reviewitem.json"]] == [
        my_item.pk
    ]


def test_export_holds_my_login_attempts(client: Client, owner: User, user_password: str) -> None:
    for email in ("OWNER@example.com", "owner@example.com", "other@example.com"):
        client.post("/accounts/login/", {"username": email, "password": "wrong"})

    failed = privacy.export_parts()["login_attempts"](user=owner)
    client.post("/accounts/login/", {"username": "owner@example.com", "password": user_password})
    logged_in = privacy.export_parts()["login_attempts"](user=owner)

    assert [row["failures_since_start"] for row in failed["lockout_counters"]] == [2]
    assert failed["lockout_counters"][0]["path_info"] == "/accounts/login/"
    assert "post_data" not in failed["lockout_counters"][0]
    assert len(logged_in["logins"]) == 1
