"""Writes of experiments: experiments and their variants, sticky assignments, the experiment and
variant of each generated version, simulated outcomes; what generation reads and records through
``playlists.providers`` (the listener's variant before composing, the assignment with the stored
version) and the privacy hooks for assignments. Monitoring writes (task runs, drift reports,
model-quality decisions) are in ``monitoring_services``."""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import privacy
from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from accounts.pseudonyms import pseudonym_for
from config.errors import ApplicationError
from editorial.audit import audit_record, snapshot
from editorial.experiments.models import (
    Assignment,
    Experiment,
    ExperimentMetric,
    ExperimentStatus,
    SimulatedOutcome,
    Variant,
    VersionAssignment,
)
from editorial.experiments.stats import assignment as assignment_math
from playlists import providers
from playlists.engine.scoring import COMPONENTS, Weights
from playlists.models import PlaylistVersion
from playlists.providers import GenerationChoices, VariantChoice

logger = logging.getLogger(__name__)

WEIGHT_MAX = 10.0
HORIZON_MAX = 1_000_000


# --- experiments ------------------------------------------------------------------------------


def _variant_clean(raw: dict[str, Any], position: int) -> Variant:
    name = " ".join(str(raw.get("name", "")).split())
    if not name or len(name) > 40:
        raise ApplicationError(f"Variant {position + 1} needs a name of at most 40 characters.")
    weights: dict[str, float] = {}
    for key, value in (raw.get("weights") or {}).items():
        if key not in COMPONENTS:
            raise ApplicationError(f"Unknown weight “{key}” in variant {name}; use {', '.join(COMPONENTS)}.")
        try:
            number = float(value)
        except (TypeError, ValueError) as error:
            raise ApplicationError(f"Weight {key} of variant {name} must be a number.") from error
        if not 0.0 <= number <= WEIGHT_MAX or math.isnan(number):
            raise ApplicationError(f"Weight {key} of variant {name} must be between 0 and {WEIGHT_MAX:g}.")
        weights[key] = number
    diversity = raw.get("diversity")
    if diversity is not None and diversity != "":
        try:
            diversity = float(diversity)
        except (TypeError, ValueError) as error:
            raise ApplicationError(f"Diversity of variant {name} must be a number.") from error
        if not 0.0 <= diversity <= 1.0:
            raise ApplicationError(f"Diversity of variant {name} must be between 0 and 1.")
    else:
        diversity = None
    try:
        traffic = int(raw.get("traffic", 50))
    except (TypeError, ValueError) as error:
        raise ApplicationError(f"Traffic of variant {name} must be a whole number.") from error
    if not 1 <= traffic <= 100:
        raise ApplicationError(f"Traffic of variant {name} must be between 1 and 100.")
    policy = str(raw.get("policy") or "").strip()
    if len(policy) > 40:
        raise ApplicationError(f"The policy name of variant {name} is longer than 40 characters.")
    return Variant(
        name=name, position=position, weights=weights, diversity=diversity, policy=policy, traffic=traffic
    )


@transaction.atomic
def experiment_create(
    *,
    name: str,
    variants: Sequence[dict[str, Any]],
    created_by: User | None,
    description: str = "",
    primary_metric: str = ExperimentMetric.SKIP_RATE,
    confidence: float = 0.95,
    horizon: int = 200,
) -> Experiment:
    """A draft experiment; the first variant is the control. Its horizon is fixed from here on."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ApplicationError("An experiment needs a name of at most 100 characters.")
    if Experiment.objects.filter(name=name).exists():
        raise ApplicationError(f"An experiment named “{name}” exists already.")
    if primary_metric not in ExperimentMetric.values:
        raise ApplicationError(
            f"Unknown metric “{primary_metric}”; use {', '.join(ExperimentMetric.values)}."
        )
    if confidence not in (0.9, 0.95, 0.99):
        raise ApplicationError("Confidence is 0.90, 0.95 or 0.99.")
    if not 2 <= horizon <= HORIZON_MAX:
        raise ApplicationError(f"The horizon is 2 to {HORIZON_MAX:,} playlists per variant.")
    cleaned = [_variant_clean(dict(raw), position) for position, raw in enumerate(variants)]
    if not 2 <= len(cleaned) <= 6:
        raise ApplicationError("An experiment has 2 to 6 variants (the first is the control).")
    if len({variant.name for variant in cleaned}) != len(cleaned):
        raise ApplicationError("Variant names must differ.")
    experiment = Experiment.objects.create(
        name=name,
        description=description.strip(),
        salt=secrets.token_hex(16),
        primary_metric=primary_metric,
        confidence=confidence,
        horizon=horizon,
        created_by=created_by,
    )
    for variant in cleaned:
        variant.experiment = experiment
    Variant.objects.bulk_create(cleaned)
    _experiment_audit(actor=created_by, action="experiment.create", experiment=experiment)
    return experiment


EXPERIMENT_AUDIT_FIELDS = (
    "name",
    "status",
    "primary_metric",
    "confidence",
    "horizon",
    "started_at",
    "stopped_at",
)


def _experiment_audit(
    *, actor: User | None, action: str, experiment: Experiment, before: dict[str, Any] | None = None
) -> None:
    """An audit entry for a curator's change; commands and simulations (no actor) write none."""
    if actor is not None:
        audit_record(
            actor=actor,
            action=action,
            target=experiment,
            summary=experiment.name,
            before=before,
            after=snapshot(experiment, EXPERIMENT_AUDIT_FIELDS),
        )


@transaction.atomic
def experiment_start(
    *, experiment: Experiment, now: datetime | None = None, actor: User | None = None
) -> Experiment:
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    before = snapshot(experiment, EXPERIMENT_AUDIT_FIELDS)
    if experiment.status != ExperimentStatus.DRAFT:
        raise ApplicationError("Only a draft experiment can start; a stopped one stays stopped.")
    running = Experiment.objects.filter(status=ExperimentStatus.RUNNING).first()
    if running is not None:
        raise ApplicationError(f"“{running.name}” is running; stop it first (one experiment at a time).")
    experiment.status = ExperimentStatus.RUNNING
    experiment.started_at = now or timezone.now()
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at"])
    except IntegrityError as error:
        raise ApplicationError("Another experiment started at the same moment; stop it first.") from error
    _experiment_audit(actor=actor, action="experiment.start", experiment=experiment, before=before)
    return experiment


@transaction.atomic
def experiment_salt_set(*, experiment: Experiment, salt: str) -> Experiment:
    """Fix a draft experiment's hash salt (reproducible simulations); only before anyone is assigned."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    assigned = Assignment.objects.filter(experiment=experiment).exists()
    if experiment.status != ExperimentStatus.DRAFT or assigned:
        raise ApplicationError("The salt can change only on a draft experiment nobody is assigned to.")
    if not 8 <= len(salt) <= 64:
        raise ApplicationError("A salt has 8 to 64 characters.")
    experiment.salt = salt
    experiment.save(update_fields=["salt"])
    return experiment


@transaction.atomic
def experiment_stop(
    *, experiment: Experiment, now: datetime | None = None, actor: User | None = None
) -> Experiment:
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    before = snapshot(experiment, EXPERIMENT_AUDIT_FIELDS)
    if experiment.status != ExperimentStatus.RUNNING:
        raise ApplicationError("Only a running experiment can stop.")
    experiment.status = ExperimentStatus.STOPPED
    experiment.stopped_at = now or timezone.now()
    experiment.save(update_fields=["status", "stopped_at"])
    _experiment_audit(actor=actor, action="experiment.stop", experiment=experiment, before=before)
    return experiment


@transaction.atomic
def _experiment_for(user: User) -> Experiment | None:
    """The running experiment ``user`` takes part in; None without the ``experiments`` consent."""
    if not consent_allows(user, ConsentPurpose.EXPERIMENTS):
        return None
    return Experiment.objects.filter(status=ExperimentStatus.RUNNING).first()


def _variant_for(experiment: Experiment, pseudonym: str) -> Variant:
    """The pseudonym's sticky variant if assigned, else the one its hash chooses (no write)."""
    existing = (
        Assignment.objects.select_related("variant")
        .filter(experiment=experiment, pseudonym=pseudonym)
        .first()
    )
    if existing is not None:
        return existing.variant
    variants = list(experiment.variants.order_by("position"))
    chosen = assignment_math.variant_for(
        pseudonym, experiment.salt, [(variant.name, float(variant.traffic)) for variant in variants]
    )
    return next(variant for variant in variants if variant.name == chosen)


@transaction.atomic
def experiment_assign(*, user: User) -> Assignment | None:
    """The listener's sticky assignment in the running experiment; None without the
    ``experiments`` consent or when nothing runs. Keyed by pseudonym, never by user id."""
    experiment = _experiment_for(user)
    if experiment is None:
        return None
    pseudonym = pseudonym_for(user)
    assigned, _ = Assignment.objects.select_related("variant").get_or_create(
        experiment=experiment, pseudonym=pseudonym, defaults={"variant": _variant_for(experiment, pseudonym)}
    )
    return assigned


def experiment_variant_choose(user: User) -> VariantChoice | None:
    """Generation's variant provider: the engine configuration of ``user``'s variant, or None.

    Reads only: the assignment is written with the version (``version_experiment_record``), in
    the transaction that stores it, so a failed generation assigns nobody.
    """
    experiment = _experiment_for(user)
    if experiment is None:
        return None
    variant = _variant_for(experiment, pseudonym_for(user))
    return VariantChoice(
        experiment_id=experiment.pk,
        variant_id=variant.pk,
        weights=Weights.from_dict(variant.weights),
        diversity=variant.diversity,
        policy=variant.policy or f"variant-{variant.pk}",
    )


def engine_exposure_floor() -> float:
    """The exposure floor the engine applies (``EditorialRules.exposure_floor``)."""
    return float(settings.ENGINE_EXPOSURE_FLOOR)


def version_experiment_record(version: PlaylistVersion, choices: GenerationChoices) -> None:
    """Generation's recorder: the listener's sticky assignment (kept if it exists) and the
    version's experiment and variant. Runs inside the transaction that stores the version."""
    chosen = choices.variant
    if chosen is not None:
        Assignment.objects.get_or_create(
            experiment_id=chosen.experiment_id,
            pseudonym=pseudonym_for(version.playlist.owner),
            defaults={"variant_id": chosen.variant_id},
        )
    _version_assignment_write(
        version=version,
        experiment_id=chosen.experiment_id if chosen else None,
        variant_id=chosen.variant_id if chosen else None,
    )


@transaction.atomic
def version_assignment_record(*, version: PlaylistVersion, assignment: Assignment | None) -> None:
    """Record which experiment and variant (or none) built ``version``, and the exposure floor.
    Idempotent: a re-generated version keeps one row. (Generation records through
    ``version_experiment_record``; the simulator and tests assign first, then record.)"""
    _version_assignment_write(
        version=version,
        experiment_id=assignment.experiment_id if assignment else None,
        variant_id=assignment.variant_id if assignment else None,
    )


def _version_assignment_write(
    *, version: PlaylistVersion, experiment_id: int | None, variant_id: int | None
) -> None:
    VersionAssignment.objects.update_or_create(
        version=version,
        defaults={
            "experiment_id": experiment_id,
            "variant_id": variant_id,
            "exposure_floor": engine_exposure_floor(),
        },
    )


def generation_providers_register() -> None:
    """Generation reads the listener's variant and records it through ``playlists.providers``."""
    providers.variant_provider_register(experiment_variant_choose)
    providers.version_recorder_register("experiments", version_experiment_record)


@transaction.atomic
def simulated_outcome_record(
    *, version: PlaylistVersion, plays: int, skips: int, completions: int, likes: int = 0, saves: int = 0
) -> SimulatedOutcome:
    if min(plays, skips, completions, likes, saves) < 0 or skips > plays or completions > plays:
        raise ApplicationError("Outcome counts must be non-negative, with skips and completions ≤ plays.")
    outcome, _ = SimulatedOutcome.objects.update_or_create(
        version=version,
        defaults={"plays": plays, "skips": skips, "completions": completions, "likes": likes, "saves": saves},
    )
    return outcome


# --- privacy --------------------------------------------------------------------------------


def assignments_export(*, user: User) -> list[dict[str, Any]]:
    """The listener's experiment assignments (kept under their pseudonym), for "download my data"."""
    rows = Assignment.objects.filter(pseudonym=pseudonym_for(user)).select_related("experiment", "variant")
    return [
        {
            "experiment": row.experiment.name,
            "variant": row.variant.name,
            "assigned_at": row.assigned_at.isoformat(),
        }
        for row in rows
    ]


@transaction.atomic
def assignments_erase(*, user: User) -> int:
    """Delete the listener's assignments (erasure, or the experiments purpose withdrawn)."""
    deleted, _ = Assignment.objects.filter(pseudonym=pseudonym_for(user)).delete()
    return deleted


def _assignments_erase_hook(*, user: User) -> None:
    assignments_erase(user=user)


def privacy_hooks_register() -> None:
    """Assignments are keyed by pseudonym, which no relation reaches: tell the privacy center."""
    privacy.register_export_part("experiment_assignments", assignments_export)
    privacy.register_erasure_hook(_assignments_erase_hook)
    privacy.register_purpose_eraser(ConsentPurpose.EXPERIMENTS, assignments_erase)
