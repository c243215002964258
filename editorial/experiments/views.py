"""Curator pages of experiments and monitoring (thin: a selector or a service, then render)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import curator_required
from accounts.requests import request_user
from config.errors import ApplicationError
from editorial.experiments import measures, monitoring_selectors, selectors, services
from editorial.experiments.forms import FAIRNESS_MAX_DAYS, ExperimentForm, fairness_days, variant_forms
from editorial.experiments.tasks import drift_report


@curator_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    reports = monitoring_selectors.drift_reports(user=user, limit=1)
    return render(
        request,
        "experiments/overview.html",
        {
            "running": selectors.running_experiment(),
            "latest_drift": reports[0] if reports else None,
            "schedule": monitoring_selectors.schedule_status(user=user),
        },
    )


@curator_required
@require_http_methods(["GET", "POST"])
def experiments(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ExperimentForm(request.POST or None)
    variants = variant_forms(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and all(variant.is_valid() for variant in variants):
            chosen = [v for v in (variant.to_variant() for variant in variants) if v is not None]
            try:
                experiment = services.experiment_create(created_by=user, variants=chosen, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, f"Experiment “{experiment.name}” created as a draft; start it when ready."
                )
                return redirect("experiments:experiment", experiment_id=experiment.pk)
        status = 400
    return render(
        request,
        "experiments/experiments.html",
        {"experiments": selectors.experiment_list(user=user), "form": form, "variant_forms": variants},
        status=status,
    )


@curator_required
@require_GET
def experiment_detail(request: HttpRequest, experiment_id: int) -> HttpResponse:
    results = selectors.experiment_results(user=request_user(request), experiment_id=experiment_id)
    return render(
        request, "experiments/experiment.html", {"results": results, "experiment": results.experiment}
    )


@curator_required
@require_POST
def experiment_action(request: HttpRequest, experiment_id: int, action: str) -> HttpResponse:
    experiment = selectors.experiment_get(user=request_user(request), experiment_id=experiment_id)
    service = {"start": services.experiment_start, "stop": services.experiment_stop}[action]
    try:
        service(experiment=experiment, actor=request_user(request))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Experiment “{experiment.name}” {'started' if action == 'start' else 'stopped'}."
        )
    return redirect("experiments:experiment", experiment_id=experiment.pk)


@curator_required
@require_GET
def offpolicy(request: HttpRequest) -> HttpResponse:
    rows, logged, usable = selectors.offpolicy_report(user=request_user(request))
    return render(request, "experiments/offpolicy.html", {"rows": rows, "logged": logged, "usable": usable})


@curator_required
@require_http_methods(["GET", "POST"])
def drift(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if request.method == "POST":
        drift_report.delay_on_commit()  # type: ignore[attr-defined]
        messages.success(request, "A drift report is being computed; reload in a minute.")
        return redirect("experiments:drift")
    reports = monitoring_selectors.drift_reports(user=user)
    return render(
        request,
        "experiments/drift.html",
        {
            "latest": reports[0] if reports else None,
            "reports": reports,
            "chart": monitoring_selectors.drift_trend_chart(reports),
            "promotions": monitoring_selectors.model_promotions(user=user),
            "has_events": measures.feedback_event_model() is not None,
        },
    )


@curator_required
@require_GET
def fairness(request: HttpRequest) -> HttpResponse:
    days = fairness_days(request.GET.get("days"))
    report = monitoring_selectors.fairness_report(user=request_user(request), days=days)
    return render(
        request,
        "experiments/fairness.html",
        {
            "report": report,
            "days": days,
            "max_days": FAIRNESS_MAX_DAYS,
            "exposure_floor": services.engine_exposure_floor(),
            "row_cap": monitoring_selectors.FAIRNESS_MAX_ROWS,
        },
    )


@curator_required
@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "experiments/schedule.html",
        {
            "entries": monitoring_selectors.schedule_status(user=user),
            "runs": monitoring_selectors.task_runs(user=user, task=request.GET.get("task") or None),
        },
    )
