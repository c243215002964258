from django.urls import path

from editorial import ops_api, ops_views

app_name = "editorial_ops"

urlpatterns = [
    path("", ops_views.overview, name="overview"),
    path("experiments/", ops_views.experiments, name="experiments"),
    path("experiments/<int:experiment_id>/", ops_views.experiment_detail, name="experiment"),
    path(
        "experiments/<int:experiment_id>/start/",
        ops_views.experiment_action,
        {"action": "start"},
        name="experiment_start",
    ),
    path(
        "experiments/<int:experiment_id>/stop/",
        ops_views.experiment_action,
        {"action": "stop"},
        name="experiment_stop",
    ),
    path("offpolicy/", ops_views.offpolicy, name="offpolicy"),
    path("drift/", ops_views.drift, name="drift"),
    path("fairness/", ops_views.fairness, name="fairness"),
    path("schedule/", ops_views.schedule, name="schedule"),
    path("api/experiments/", ops_api.ExperimentListCreateApi.as_view(), name="api_experiments"),
    path(
        "api/experiments/<int:experiment_id>/results/",
        ops_api.ExperimentResultsApi.as_view(),
        name="api_experiment_results",
    ),
    path(
        "api/experiments/<int:experiment_id>/start/",
        ops_api.ExperimentActionApi.as_view(),
        {"action": "start"},
        name="api_experiment_start",
    ),
    path(
        "api/experiments/<int:experiment_id>/stop/",
        ops_api.ExperimentActionApi.as_view(),
        {"action": "stop"},
        name="api_experiment_stop",
    ),
    path("api/drift/", ops_api.DriftReportsApi.as_view(), name="api_drift"),
    path("api/offpolicy/", ops_api.OffPolicyApi.as_view(), name="api_offpolicy"),
    path("api/fairness/", ops_api.FairnessApi.as_view(), name="api_fairness"),
]
