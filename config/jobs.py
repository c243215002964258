"""The life of a background job, shared by every app: a heartbeat while it runs, and a sweep
that fails the jobs whose worker was lost (killed by the kernel, a deploy, a crash).

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
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# A heartbeat outlives any stale_after; the sweep treats a missing one as "no sign since start".
HEARTBEAT_TTL_SECONDS = 24 * 60 * 60
_PREFIX = "segue:job-heartbeat"

Job = TypeVar("Job", bound=models.Model)


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
