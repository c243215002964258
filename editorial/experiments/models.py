"""Experiments and monitoring (the ``experiments`` app; its tables were created by ``editorial``
and keep their names): experiments, variants, sticky assignments, the experiment and
variant of every generated version, simulated outcomes, task runs, drift reports and
model-quality decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.pseudonyms import PSEUDONYM_LENGTH

NAME_MAX_LENGTH = 100


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class ExperimentMetric(models.TextChoices):
    SKIP_RATE = "skip_rate", "Skip rate (lower is better)"
    COMPLETION_RATE = "completion_rate", "Completion rate"
    LIKES = "likes", "Likes per playlist"
    SAVES = "saves", "Tracks saved per playlist"


class Experiment(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT)
    # Hash salt: a fresh one per experiment keeps its assignments independent of other experiments.
    salt = models.CharField(max_length=64)
    primary_metric = models.CharField(
        max_length=20, choices=ExperimentMetric.choices, default=ExperimentMetric.SKIP_RATE
    )
    confidence = models.FloatField(default=0.95)
    # The fixed horizon, stated before the start: playlists per variant before a verdict is read.
    horizon = models.PositiveIntegerField(default=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "editorial_experiment"  # created by the editorial app, kept when moved
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gt=0.5, confidence__lt=1), name="experiment_confidence_range"
            ),
            models.CheckConstraint(condition=Q(horizon__gte=2), name="experiment_horizon_min"),
            # One running experiment at a time: effects of two overlapping ones would mix.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="experiment_one_running"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """One engine configuration: scoring weights, MMR diversity and the policy name it logs."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)  # 0 is the control
    weights = models.JSONField(default=dict, blank=True)  # playlists.engine.scoring.Weights fields
    diversity = models.FloatField(null=True, blank=True)
    policy = models.CharField(max_length=40, blank=True)
    traffic = models.PositiveSmallIntegerField(default=50, help_text="Share of traffic (relative weight).")

    class Meta:
        db_table = "editorial_variant"  # created by the editorial app, kept when moved
        ordering = ["experiment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_name_unique"),
            models.UniqueConstraint(fields=["experiment", "position"], name="variant_position_unique"),
            models.CheckConstraint(condition=Q(traffic__gt=0), name="variant_traffic_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.name}"


class Assignment(models.Model):
    """Sticky: the first assignment of a pseudonym to an experiment stays, even if splits change."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="assignments")
    pseudonym = models.CharField(max_length=PSEUDONYM_LENGTH)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "editorial_assignment"  # created by the editorial app, kept when moved
        constraints = [
            models.UniqueConstraint(fields=["experiment", "pseudonym"], name="assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} → {self.variant_id}"


class VersionAssignment(models.Model):
    """The experiment and variant (none when the listener was not in one) of a generated version,
    and the exposure floor in force when it was built."""

    version = models.OneToOneField(
        "playlists.PlaylistVersion", on_delete=models.CASCADE, related_name="ops_assignment"
    )
    experiment = models.ForeignKey(
        Experiment, null=True, blank=True, on_delete=models.CASCADE, related_name="versions"
    )
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="versions"
    )
    exposure_floor = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "editorial_versionassignment"  # created by the editorial app, kept when moved
        constraints = [
            models.CheckConstraint(
                condition=Q(experiment__isnull=True, variant__isnull=True)
                | Q(experiment__isnull=False, variant__isnull=False),
                name="version_assignment_both_or_none",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="version_assignment_created_idx")]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.variant_id}"


class SimulatedOutcome(models.Model):
    """What a simulated listener did with one version (simulate_experiment). Real listeners'
    outcomes come from feedback events; these stand in when that model is absent."""

    version = models.OneToOneField(
        "playlists.PlaylistVersion", on_delete=models.CASCADE, related_name="simulated_outcome"
    )
    plays = models.PositiveIntegerField(default=0)
    skips = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "editorial_simulatedoutcome"  # created by the editorial app, kept when moved
        constraints = [
            models.CheckConstraint(condition=Q(skips__lte=models.F("plays")), name="outcome_skips_le_plays"),
            models.CheckConstraint(
                condition=Q(completions__lte=models.F("plays")), name="outcome_completions_le_plays"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.plays} plays"


class TaskOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Succeeded"
    FAILURE = "failure", "Failed"
    RETRY = "retry", "Retrying"


class TaskRun(models.Model):
    """One run of a scheduled (beat) task, recorded by Celery signals."""

    task = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=8, choices=TaskOutcome.choices, default=TaskOutcome.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The request id that enqueued it (config.request_id): a web request's, or beat's own.
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "editorial_taskrun"  # created by the editorial app, kept when moved
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["task", "-started_at"], name="task_run_latest_idx")]

    def __str__(self) -> str:
        return f"{self.task} {self.outcome}"


class DriftReport(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    reference_start = models.DateTimeField()
    recent_start = models.DateTimeField()
    recent_end = models.DateTimeField()
    checks = models.JSONField(default=list)  # editorial.experiments.stats.drift.DriftCheck.to_dict() rows
    alerts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "editorial_driftreport"  # created by the editorial app, kept when moved
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"drift {self.created_at:%Y-%m-%d %H:%M}: {self.alerts} alerts"


class ModelPromotion(models.Model):
    """A model-quality gate decision: promote the retrained model or keep the current one."""

    model_name = models.CharField(max_length=60)
    candidate_version = models.CharField(max_length=60)
    current_metrics = models.JSONField(null=True, blank=True)
    candidate_metrics = models.JSONField()
    promoted = models.BooleanField()
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "editorial_modelpromotion"  # created by the editorial app, kept when moved
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_name} {self.candidate_version}: {'promoted' if self.promoted else 'refused'}"
