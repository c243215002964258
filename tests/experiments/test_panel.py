"""The curator panel and its API: curators and staff only; every page renders with and without data."""

from __future__ import annotations

import math
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from editorial.experiments import monitoring_services, services
from editorial.experiments.forms import fairness_days
from editorial.experiments.models import Experiment, ExperimentStatus
from editorial.experiments.templatetags.measure_format import measure
from feedback.learning.quality import ModelMetrics
from tests.experiments.factories import experiment_make, listeners_make, tracks_make
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db

PAGES = [
    "/desk/ops/",
    "/desk/ops/experiments/",
    "/desk/ops/offpolicy/",
    "/desk/ops/drift/",
    "/desk/ops/fairness/",
    "/desk/ops/schedule/",
]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_listeners_get_403_and_anonymous_visitors_the_login_page(url: str, owner: User) -> None:
    assert _client(owner).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_empty_states_for_curators(url: str, curator: User) -> None:
    response = _client(curator).get(url)
    assert response.status_code == 200
    assert b"<script>" not in response.content  # CSP: no inline script


def test_pages_render_with_data(curator: User, staff_user: User) -> None:
    experiment = experiment_make()
    tracks = tracks_make(6, popularity=[10, 70])
    for listener in listeners_make(6):
        assignment = services.experiment_assign(user=listener)
        version = version_make(
            playlist_make(owner=listener), tracks=tracks, policy="hybrid-v1", propensity=0.5
        )
        services.version_assignment_record(version=version, assignment=assignment)
        services.simulated_outcome_record(version=version, plays=6, skips=2, completions=4, likes=1)
    monitoring_services.drift_report_create()
    monitoring_services.model_promotion_decide(
        model_name="cf-als",
        candidate_version="2",
        current=ModelMetrics(0.2, 0.1, 100),
        candidate=ModelMetrics(0.1, 0.05, 100),
    )
    for user in (curator, staff_user):
        client = _client(user)
        page = client.get(f"/desk/ops/experiments/{experiment.pk}/")
        assert page.status_code == 200 and b"Peeking guard" in page.content and b"<svg" in page.content
        assert b"hybrid-v1" in client.get("/desk/ops/offpolicy/").content
        assert b"refused" in client.get("/desk/ops/drift/").content
        fairness = client.get("/desk/ops/fairness/?days=7")
        assert b"<svg" in fairness.content and b"Effect of the exposure floor" in fairness.content
    api = APIClient()
    api.force_authenticate(user=curator)
    offpolicy = api.get("/desk/ops/api/offpolicy/").json()
    assert offpolicy["usable"] == 6 and offpolicy["candidates"][0]["policy"] == "hybrid-v1"
    ips = offpolicy["candidates"][0]["estimates"][0]
    assert ips["method"] == "IPS" and ips["value"] == pytest.approx(4 / 6 / 0.5)
    fairness_api = api.get("/desk/ops/api/fairness/?days=7").json()
    assert fairness_api["days"][0]["playlists"] == 6 and fairness_api["days"][0]["long_tail_share"] == 0.5
    assert api.get("/desk/ops/api/drift/").json()[0]["alerts"] == 0


def test_a_curator_creates_starts_and_stops_an_experiment_in_the_browser(curator: User) -> None:
    client = _client(curator)
    form = {
        "name": "Discovery",
        "primary_metric": "completion_rate",
        "confidence": "0.95",
        "horizon": "100",
        "a-name": "A",
        "a-traffic": "50",
        "b-name": "B",
        "b-traffic": "50",
        "b-w_discovery": "1.5",
        "c-traffic": "50",
    }
    response = client.post("/desk/ops/experiments/", form)
    experiment = Experiment.objects.get(name="Discovery")
    assert response.status_code == 302 and response["Location"].endswith(f"/experiments/{experiment.pk}/")
    assert [v.weights for v in experiment.variants.order_by("position")] == [{}, {"discovery": 1.5}]
    client.post(f"/desk/ops/experiments/{experiment.pk}/start/")
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING
    client.post(f"/desk/ops/experiments/{experiment.pk}/stop/")
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED


def test_a_bad_experiment_form_is_answered_with_its_errors(curator: User) -> None:
    response = _client(curator).post(
        "/desk/ops/experiments/",
        {
            "name": "Solo",
            "primary_metric": "skip_rate",
            "confidence": "0.95",
            "horizon": "10",
            "a-name": "A",
            "a-traffic": "50",
            "b-traffic": "50",
            "c-traffic": "50",
        },
    )
    assert response.status_code == 400 and "2 to 6 variants" in response.content.decode()
    assert not Experiment.objects.exists()


def test_the_api_is_for_curators_only(owner: User, curator: User) -> None:
    api = APIClient()
    api.force_authenticate(user=owner)
    assert api.get("/desk/ops/api/experiments/").status_code == 403
    assert api.post("/desk/ops/api/experiments/", {}, format="json").status_code == 403
    for url in ("/desk/ops/api/drift/", "/desk/ops/api/offpolicy/", "/desk/ops/api/fairness/"):
        assert api.get(url).status_code == 403
    assert APIClient().get("/desk/ops/api/experiments/").status_code in (401, 403)


def test_a_curator_runs_an_experiment_through_the_api(curator: User) -> None:
    api = APIClient()
    api.force_authenticate(user=curator)
    response = api.post(
        "/desk/ops/api/experiments/",
        {
            "name": "API test",
            "confidence": 0.95,
            "horizon": 50,
            "variants": [{"name": "A"}, {"name": "B", "weights": {"popularity": 0.5}, "traffic": 30}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    experiment_id = response.json()["id"]
    assert api.post(f"/desk/ops/api/experiments/{experiment_id}/start/").json()["status"] == "running"
    again = api.post(f"/desk/ops/api/experiments/{experiment_id}/start/")
    assert again.status_code == 400
    results = api.get(f"/desk/ops/api/experiments/{experiment_id}/results/").json()
    assert [v["name"] for v in results["variants"]] == ["A", "B"]
    assert set(results["metrics"]) >= {"skip_rate", "completion_rate", "likes", "diversity"}
    bad = api.post("/desk/ops/api/experiments/", {"name": "x", "variants": [{"name": "A"}]}, format="json")
    assert bad.status_code == 400
    assert api.get("/desk/ops/api/experiments/999999/results/").status_code == 404


def test_listeners_cannot_start_stop_or_run_anything(owner: User, curator: User) -> None:
    experiment = experiment_make(start=False)
    client = _client(owner)
    assert client.post(f"/desk/ops/experiments/{experiment.pk}/start/").status_code == 403
    assert client.post("/desk/ops/experiments/", {"name": "x"}).status_code == 403
    assert client.post("/desk/ops/drift/").status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT
    # A curator's "run a report now" queues the task once the request commits, then redirects.
    response = _client(curator).post("/desk/ops/drift/")
    assert response.status_code == 302 and response["Location"] == "/desk/ops/drift/"


@pytest.mark.parametrize(("asked", "days"), [(None, 30), ("7", 7), ("0", 1), ("9999", 365), ("a week", 30)])
def test_the_fairness_window_is_held_between_one_day_and_a_year(asked: str | None, days: int) -> None:
    assert fairness_days(asked) == days


def test_pages_without_data_say_what_will_appear_and_never_show_nan_or_internal_names(
    curator: User,
) -> None:
    experiment = experiment_make()  # running, but no playlist generated yet: nothing to measure
    client = _client(curator)
    detail = client.get(f"/desk/ops/experiments/{experiment.pk}/").content.decode()
    assert "No listening outcomes yet" in detail and "results and the verdict appear here" in detail
    assert "—" in detail  # the exposure Gini of a variant without playlists
    for url in [*PAGES, f"/desk/ops/experiments/{experiment.pk}/"]:
        text = client.get(url).content.decode()
        assert not re.search(r"\bnan\b", text, re.IGNORECASE), url
        for internal in ("manage.py", "simulate_experiment", "ENGINE_EXPOSURE_FLOOR", "CELERY_BEAT_SCHEDULE"):
            assert internal not in text, (url, internal)


def test_measure_filter_rounds_numbers_and_dashes_what_cannot_be_measured() -> None:
    assert measure(0.12345, 3) == "0.123"
    assert measure(2, 2) == "2.00"
    for nothing in (None, math.nan, math.inf, "n/a"):
        assert measure(nothing, 3) == "—"
