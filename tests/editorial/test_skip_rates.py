"""Skip rate, one definition: the desk's worst-feedback chart and the experiment results."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from editorial.experiments import selectors as experiment_selectors
from editorial.experiments import services as experiment_services
from editorial.outcomes import skip_rate
from editorial.selectors import prompt_skip_rates
from feedback.ingestion import events_ingest
from tests.catalog.factories import TrackFactory
from tests.experiments.factories import experiment_make
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def _listen(owner: User, version, outcomes: list[str]) -> None:  # type: ignore[no-untyped-def]
    when = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    items = list(version.items.order_by("position"))
    events = [
        {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "track": item.track_id,
            "occurred_at": when,
            "playlist": version.playlist_id,
            "version": version.number,
            "position": item.position,
        }
        for item, kind in zip(items, outcomes, strict=False)
    ]
    assert not events_ingest(user=owner, events=events).errors


def test_prompts_are_ranked_by_the_share_of_their_tracks_skipped(owner: User, curator: User) -> None:
    tracks = [TrackFactory() for _ in range(6)]
    skipped = version_make(playlist_make(owner=owner, prompt="Sad Polka"), tracks=tracks)
    liked = version_make(playlist_make(owner=owner, prompt="calm jazz"), tracks=tracks)
    few = version_make(playlist_make(owner=owner, prompt="rare prompt"), tracks=tracks)
    _listen(owner, skipped, ["skip", "skip", "skip", "skip", "complete", "play"])
    _listen(owner, liked, ["complete", "complete", "complete", "complete", "skip"])
    _listen(owner, few, ["skip", "skip"])  # too few outcomes to rank

    rates = prompt_skip_rates()

    assert [(rate.prompt, rate.ended, rate.skip_rate) for rate in rates] == [
        ("sad polka", 5, pytest.approx(0.8)),
        ("calm jazz", 5, pytest.approx(0.2)),
    ]
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("desk:home")).content.decode()
    assert "sad polka: 80% of 5" in page


def test_the_desk_and_the_experiment_results_report_the_same_skip_rate(owner: User, curator: User) -> None:
    experiment = experiment_make()
    assignment = experiment_services.experiment_assign(user=owner)
    version = version_make(
        playlist_make(owner=owner, prompt="sad polka"), tracks=[TrackFactory() for _ in range(6)]
    )
    experiment_services.version_assignment_record(version=version, assignment=assignment)
    # One play start reported, four skips and one completion: skips over the plays that ended.
    _listen(owner, version, ["skip", "skip", "skip", "skip", "complete", "play"])

    desk = prompt_skip_rates()
    results = experiment_selectors.experiment_results(user=curator, experiment_id=experiment.pk)

    skip_row = next(row for row in results.rows if row.key == "skip_rate")
    measured = [interval.estimate for interval in skip_row.intervals if interval.n]
    assert [rate.skip_rate for rate in desk] == measured == [pytest.approx(0.8)]
    assert "skipped ÷ skipped or completed" in skip_row.label


def test_skip_rate_is_skips_over_plays_that_ended() -> None:
    assert skip_rate(skips=4, completions=1) == pytest.approx(0.8)
    assert skip_rate(skips=0, completions=3) == 0.0
    assert math.isnan(skip_rate(skips=0, completions=0))
