"""Curator API of experiments and monitoring: experiments (list, create, start, stop, results)
and drift reports. Curators and staff only; everyone else gets 403."""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READ_WRITE, IsCurator, TokenHasScope
from accounts.requests import request_user
from config.api_fields import StrictCharField
from editorial.experiments import monitoring_selectors, selectors, services
from editorial.experiments.forms import FAIRNESS_DAYS, FAIRNESS_MAX_DAYS
from editorial.experiments.models import Experiment, ExperimentMetric
from editorial.experiments.stats.stats import Interval


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def _interval(interval: Interval) -> dict[str, Any]:
    return {
        "estimate": _number(interval.estimate),
        "low": _number(interval.low),
        "high": _number(interval.high),
        "n": interval.n,
    }


class VariantSerializer(serializers.Serializer):
    name = StrictCharField(max_length=40)
    traffic = serializers.IntegerField(min_value=1, max_value=100, default=50)
    policy = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    diversity = serializers.FloatField(
        min_value=0, max_value=1, required=False, allow_null=True, default=None
    )
    weights = serializers.DictField(child=serializers.FloatField(), required=False, default=dict)


class ExperimentSerializer(serializers.ModelSerializer):
    variants = serializers.SerializerMethodField()

    class Meta:
        model = Experiment
        fields = [
            "id",
            "name",
            "description",
            "status",
            "primary_metric",
            "confidence",
            "horizon",
            "started_at",
            "stopped_at",
            "variants",
        ]

    def get_variants(self, experiment: Experiment) -> list[dict[str, Any]]:
        return [
            {
                "name": v.name,
                "traffic": v.traffic,
                "policy": v.policy,
                "diversity": v.diversity,
                "weights": v.weights,
            }
            for v in experiment.variants.all()
        ]


class _CuratorApi(APIView):
    required_scope = READ_WRITE

    permission_classes = [IsCurator, TokenHasScope]


class ExperimentListCreateApi(_CuratorApi):
    class ExperimentCreateSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100)
        description = StrictCharField(required=False, allow_blank=True, default="")
        primary_metric = serializers.ChoiceField(
            choices=ExperimentMetric.choices, default=ExperimentMetric.SKIP_RATE
        )
        confidence = serializers.ChoiceField(choices=["0.9", "0.95", "0.99"], default="0.95")
        horizon = serializers.IntegerField(min_value=2, max_value=1_000_000, default=200)
        variants = VariantSerializer(many=True, help_text="2 to 6; the first is the control.")

    @extend_schema(
        summary="Experiments",
        description="Every A/B experiment between recommendation policies, with its status and "
        "variants. Curators only.",
        responses=ExperimentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        experiments = selectors.experiment_list(user=request_user(request))
        return Response(ExperimentSerializer(experiments, many=True).data)

    @extend_schema(
        summary="Create an experiment (a draft)",
        description="2 to 6 variants, the first being the control, each with its traffic share, policy, "
        "diversity and weights. Policies and weight names must be known ones and variant names unique. "
        "Starts as a draft. Curators only.",
        request=ExperimentCreateSerializer,
        responses={
            201: ExperimentSerializer,
            400: OpenApiResponse(
                description="Bad variants: an unknown policy or weight name, a repeated variant name, "
                "or fewer than 2 or more than 6 variants (`detail`, or field name → messages)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        selectors.experiment_list(user=request_user(request))  # curators only (404 otherwise)
        serializer = self.ExperimentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["confidence"] = float(data["confidence"])
        experiment = services.experiment_create(created_by=request_user(request), **data)
        return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)


def _experiment_act(request: Request, experiment_id: int, service: Any) -> Response:
    experiment = selectors.experiment_get(user=request_user(request), experiment_id=experiment_id)
    return Response(ExperimentSerializer(service(experiment=experiment, actor=request_user(request))).data)


class ExperimentStartApi(_CuratorApi):
    @extend_schema(
        summary="Start an experiment",
        description="A draft experiment starts: new playlists are assigned to its variants. Curators only.",
        request=None,
        responses={
            200: ExperimentSerializer,
            400: OpenApiResponse(
                description="Only a draft experiment can start; a stopped one stays stopped."
            ),
        },
    )
    def post(self, request: Request, experiment_id: int) -> Response:
        return _experiment_act(request, experiment_id, services.experiment_start)


class ExperimentStopApi(_CuratorApi):
    @extend_schema(
        summary="Stop an experiment",
        description="A running experiment stops: no more assignments; its results stay. Curators only.",
        request=None,
        responses={
            200: ExperimentSerializer,
            400: OpenApiResponse(description="Only a running experiment can stop."),
        },
    )
    def post(self, request: Request, experiment_id: int) -> Response:
        return _experiment_act(request, experiment_id, services.experiment_stop)


class ExperimentResultsApi(_CuratorApi):
    @extend_schema(
        summary="An experiment's results",
        description="Per variant: playlists assigned and with outcomes; per metric, each variant's "
        "estimate with its interval and its difference from the control; a verdict per variant once "
        "there is one. Curators only.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, experiment_id: int) -> Response:
        results = selectors.experiment_results(user=request_user(request), experiment_id=experiment_id)
        variants = [variant.name for variant in results.variants]
        return Response(
            {
                "experiment": ExperimentSerializer(results.experiment).data,
                "variants": [
                    {"name": name, "playlists": playlists, "with_outcomes": outcomes, "assigned": assigned}
                    for name, playlists, outcomes, assigned in zip(
                        variants, results.playlists, results.with_outcomes, results.assigned, strict=True
                    )
                ],
                "metrics": {
                    row.key: [
                        {
                            "variant": name,
                            **_interval(interval),
                            "difference": (
                                None
                                if comparison is None
                                else {
                                    "estimate": _number(comparison.difference),
                                    "low": _number(comparison.low),
                                    "high": _number(comparison.high),
                                    "p_value": _number(comparison.p_value),
                                }
                            ),
                        }
                        for name, interval, comparison in zip(
                            variants, row.intervals, row.comparisons, strict=True
                        )
                    ]
                    for row in results.rows
                },
                "verdicts": {
                    name: {"kind": verdict.kind, "text": verdict.text}
                    for name, verdict in zip(variants, results.verdicts, strict=False)
                    if verdict is not None
                },
            }
        )


class DriftReportsApi(_CuratorApi):
    @extend_schema(
        summary="Drift reports",
        description="The 10 newest drift reports: how far the recent window has moved from the "
        "reference window, check by check, and how many checks raised an alert. Curators only.",
        responses=inline_serializer(
            "DriftReport",
            {
                "created_at": serializers.DateTimeField(),
                "recent_start": serializers.DateTimeField(),
                "reference_start": serializers.DateTimeField(),
                "alerts": serializers.IntegerField(),
                "checks": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        ),
    )
    def get(self, request: Request) -> Response:
        reports = monitoring_selectors.drift_reports(user=request_user(request), limit=10)
        return Response(
            [
                {
                    "created_at": report.created_at,
                    "recent_start": report.recent_start,
                    "reference_start": report.reference_start,
                    "alerts": report.alerts,
                    "checks": report.checks,
                }
                for report in reports
            ]
        )


class OffPolicyApi(_CuratorApi):
    @extend_schema(
        summary="Off-policy estimates",
        description="How each candidate policy would have done on the logged playlists, by several "
        "estimators with their intervals and effective sample sizes. Curators only.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        rows, logged, usable = selectors.offpolicy_report(user=request_user(request))
        return Response(
            {
                "logged": logged,
                "usable": usable,
                "candidates": [
                    {
                        "policy": row.action,
                        "logged": row.logged,
                        "logged_mean": _number(row.logged_mean),
                        "estimates": [
                            {
                                "method": estimate.method,
                                "value": _number(estimate.value),
                                "low": _number(estimate.low),
                                "high": _number(estimate.high),
                                "effective_sample_size": _number(estimate.effective_sample_size),
                            }
                            for estimate in row.estimates
                        ],
                    }
                    for row in rows
                ],
            }
        )


class FairnessQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1,
        max_value=FAIRNESS_MAX_DAYS,
        default=FAIRNESS_DAYS,
        help_text=f"The window in days, 1 to {FAIRNESS_MAX_DAYS}.",
    )


class FairnessApi(_CuratorApi):
    @extend_schema(
        summary="Exposure fairness",
        description="How exposure is shared between artists in recent playlists: Gini and long-tail "
        "share over the window, per day, and by exposure floor. Curators only.",
        parameters=[FairnessQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        query = FairnessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = monitoring_selectors.fairness_report(
            user=request_user(request), days=query.validated_data["days"]
        )
        return Response(
            {
                "window": {
                    "placements": report.window.placements,
                    "artists": report.window.artists,
                    "exposure_gini": _number(report.window.gini),
                    "long_tail_share": _number(report.window.long_tail_share),
                },
                "complete_since": report.complete_since,
                "days": [
                    {
                        "day": row.day,
                        "playlists": row.versions,
                        "exposure_gini": _number(row.gini),
                        "long_tail_share": _number(row.long_tail_share),
                        "genre_coverage": _number(row.genre_coverage),
                        "listener_diversity": _number(row.listener_diversity),
                    }
                    for row in report.days
                ],
                "by_exposure_floor": [
                    {
                        "floor": row.floor,
                        "playlists": row.versions,
                        "long_tail_share": _number(row.long_tail_share),
                    }
                    for row in report.floors
                ],
            }
        )
