"""The life of a background job, shared by every app: its model fields (``BackgroundJob``), the
claim that starts it, progress saves, the finish or failure that ends it, a heartbeat while it
runs, and a sweep that fails the jobs whose worker was lost (killed by the kernel, a deploy, a
crash). Catalog imports, history imports, library scans and data exports are such jobs.

A job goes queued -> running -> succeeded (a data export: "ready") | failed | cancelled. Every
transition is a conditional UPDATE on the row's current status, so a redelivered task, a late
worker and the stale sweep never overwrite one another: the first to move the job wins.

A task of ours is idempotent by a status guard: a redelivered message (``acks_late`` +
``reject_on_worker_lost``) finds its job already "running" and does nothing, so a job whose
worker died would stay "running" for ever. The heartbeat says a job is alive; the sweep (from
celery beat) marks a job failed once its last sign of life — its start or its latest heartbeat,
whichever is later — is older than ``stale_after``, with a message saying how to retry, and lets
the app remove what the job left on disk.

Heartbeats live in Redis (the broker every worker and web process already share), so no job table
needs a column for them; each records the process that sent it, which the chaos test kills.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar, TypeVar

import redis
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

# A heartbeat outlives any stale_after; the sweep treats a missing one as "no sign since start".
HEARTBEAT_TTL_SECONDS = 24 * 60 * 60
_PREFIX = "segue:job-heartbeat"

Job = TypeVar("Job", bound=models.Model)


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class BackgroundJob(models.Model):
    """What every background job records: its status, its error, when it was queued, started and
    finished, who it is for, and how far it got. Each job adds its own counts and problem reports.

    ``job_kind`` names its heartbeat; ``owner_field`` is the foreign key to the user it is for
    (named as it was before the jobs shared this model, so their tables and APIs kept their
    columns); ``progress_fields`` are the (done, total) counts its progress bar measures, or None
    for a job with no measure of progress.
    """

    job_kind: ClassVar[str]
    owner_field: ClassVar[str]
    progress_fields: ClassVar[tuple[str, str] | None] = None
    succeeded_status: ClassVar[str] = JobStatus.SUCCEEDED

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def owner_id(self) -> int | None:
        owner_id: int | None = getattr(self, f"{self.owner_field}_id")
        return owner_id

    @property
    def is_active(self) -> bool:
        return self.status in UNFINISHED

    @property
    def is_finished(self) -> bool:
        return not self.is_active

    @property
    def percent_done(self) -> int:
        """0-100; 100 only once it succeeded (the last rows of a file can take a while)."""
        if self.status == self.succeeded_status:
            return 100
        if self.progress_fields is None:
            return 0
        done, total = (getattr(self, name) for name in self.progress_fields)
        return min(99, int(100 * done / total)) if total else 0


class JobTakenAway(Exception):
    """The job's row is no longer running (the stale sweep failed it, or it was cancelled):
    its worker must stop without writing anything more."""


def job_claim(model: type[BackgroundJob], *, pk: int, claimable: Q | None = None, **also: Any) -> bool:
    """Start a queued job (``claimable`` widens that: e.g. a run lost past its time limit);
    True when this call started it. A conditional UPDATE that must touch exactly one row, so a
    redelivered message, finding it running or finished, does nothing. The heartbeat goes first,
    so the sweep never sees the job running without one."""
    job_heartbeat(model.job_kind, pk)
    claimed = (
        model._default_manager.filter(pk=pk)
        .filter(claimable if claimable is not None else Q(status=JobStatus.QUEUED))
        .update(status=JobStatus.RUNNING, started_at=timezone.now(), **also)
    )
    return claimed == 1


def job_progress(job: BackgroundJob, *, fields: tuple[str, ...] | list[str]) -> None:
    """Save the running job's ``fields`` (its counts) and beat. Raises JobTakenAway, saving
    nothing, when the job is no longer running."""
    updated = (
        type(job)
        ._default_manager.filter(pk=job.pk, status=JobStatus.RUNNING)
        .update(**{name: getattr(job, name) for name in fields})
    )
    if updated != 1:
        raise JobTakenAway
    job_heartbeat(job.job_kind, job.pk)


def job_finish(
    job: BackgroundJob,
    *,
    status: str | None = None,
    error: str = "",
    fields: tuple[str, ...] | list[str] = (),
) -> bool:
    """End an unfinished job with ``status`` (by default its success) and ``error``, saving
    ``fields`` with it; stamps ``finished_at``. False, writing nothing, when the job had already
    ended (the sweep failed it meanwhile)."""
    job.status = status or job.succeeded_status
    # An error quoting the job's input (a column name read from a binary file) may hold NUL,
    # which a PostgreSQL text column refuses.
    job.error = error.replace("\x00", "")
    job.finished_at = timezone.now()
    names = ("status", "error", "finished_at", *fields)
    updated = (
        type(job)
        ._default_manager.filter(pk=job.pk, status__in=UNFINISHED)
        .update(**{name: getattr(job, name) for name in names})
    )
    job_heartbeat_clear(job.job_kind, job.pk)
    return updated == 1


def job_fail(job: BackgroundJob, *, error: str, fields: tuple[str, ...] | list[str] = ()) -> bool:
    """``job_finish`` with the failed status."""
    return job_finish(job, status=JobStatus.FAILED, error=error, fields=fields)


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)


def _key(kind: str, pk: int) -> str:
    return f"{_PREFIX}:{kind}:{pk}"


def job_heartbeat(kind: str, pk: int) -> None:
    """Record that job ``kind``/``pk`` is alive now, in this process (best effort: a broker hiccup
    must not fail the job; the sweep's threshold allows for missed beats)."""
    beat = {"at": time.time(), "pid": os.getpid(), "host": socket.gethostname()}
    try:
        _redis().set(_key(kind, pk), json.dumps(beat), ex=HEARTBEAT_TTL_SECONDS)
    except redis.RedisError:
        logger.warning("Could not record the heartbeat of %s %s", kind, pk, exc_info=True)


def job_heartbeat_read(kind: str, pk: int) -> dict[str, Any] | None:
    """The job's last heartbeat ({"at": epoch seconds, "pid", "host"}), or None."""
    raw = _redis().get(_key(kind, pk))
    return json.loads(raw) if raw else None


def job_heartbeat_clear(kind: str, pk: int) -> None:
    try:
        _redis().delete(_key(kind, pk))
    except redis.RedisError:
        logger.warning("Could not clear the heartbeat of %s %s", kind, pk, exc_info=True)


def _last_beats(kind: str, pks: list[int]) -> dict[int, float]:
    if not pks:
        return {}
    raws = _redis().mget([_key(kind, pk) for pk in pks])
    return {pk: float(json.loads(raw)["at"]) for pk, raw in zip(pks, raws, strict=True) if raw}


def jobs_sweep_stale(
    *,
    kind: str,
    unfinished: models.QuerySet[Job],
    started_field: str,
    stale_after: timedelta,
    fail: Callable[[Job], None],
    now: datetime | None = None,
) -> list[int]:
    """Fail every job of ``unfinished`` (the app's queryset of jobs not yet finished) that shows
    no sign of life since ``now - stale_after``; returns their ids.

    ``started_field`` is the job's own timestamp of its start (or creation, for a job stale while
    still queued). Each stale job is re-read under a row lock (skipping one another sweep or its
    worker holds) and handed to ``fail``, which must set its failed status and remove its files,
    inside that same transaction.
    """
    now = now or timezone.now()
    cutoff = now - stale_after
    candidates = list(
        unfinished.filter(**{f"{started_field}__lt": cutoff}).values_list("pk", flat=True).order_by("pk")
    )
    beats = _last_beats(kind, candidates)
    stale = [pk for pk in candidates if beats.get(pk, 0.0) < cutoff.timestamp()]
    failed: list[int] = []
    for pk in stale:
        with transaction.atomic():
            job = unfinished.select_for_update(skip_locked=True).filter(pk=pk).first()
            if job is None:
                continue  # finished meanwhile, or locked by its (live) worker
            fail(job)
            failed.append(pk)
        job_heartbeat_clear(kind, pk)
    if failed:
        logger.warning("Marked %d stale %s job(s) failed: %s", len(failed), kind, failed)
    return failed


LOST_WORKER_MESSAGE = "It stopped while running (its worker was lost)."
