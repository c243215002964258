from django.urls import path

from editorial.experiments import api, views

app_name = "experiments"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("experiments/", views.experiments, name="experiments"),
    path("experiments/<int:experiment_id>/", views.experiment_detail, name="experiment"),
    path(
        "experiments/<int:experiment_id>/start/",
        views.experiment_action,
        {"action": "start"},
        name="experiment_start",
    ),
    path(
        "experiments/<int:experiment_id>/stop/",
        views.experiment_action,
        {"action": "stop"},
        name="experiment_stop",
    ),
    path("offpolicy/", views.offpolicy, name="offpolicy"),
    path("drift/", views.drift, name="drift"),
    path("fairness/", views.fairness, name="fairness"),
    path("schedule/", views.schedule, name="schedule"),
    path("api/experiments/", api.ExperimentListCreateApi.as_view(), name="api_experiments"),
    path(
        "api/experiments/<int:experiment_id>/results/",
        api.ExperimentResultsApi.as_view(),
        name="api_experiment_results",
    ),
    path(
        "api/experiments/<int:experiment_id>/start/",
        api.ExperimentStartApi.as_view(),
        name="api_experiment_start",
    ),
    path(
        "api/experiments/<int:experiment_id>/stop/",
        api.ExperimentStopApi.as_view(),
        name="api_experiment_stop",
    ),
    path("api/drift/", api.DriftReportsApi.as_view(), name="api_drift"),
    path("api/offpolicy/", api.OffPolicyApi.as_view(), name="api_offpolicy"),
    path("api/fairness/", api.FairnessApi.as_view(), name="api_fairness"),
]
