"""A real Celery worker process for tests, on the test database and the test broker.

A process of its own, as in production (and so the test process ends normally: torch, once a
worker *thread* in it had used the model, aborted the interpreter at exit). Settings a test
changes in its own process do not reach the worker: pass what it must see as environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

from config import embedded
from config.celery import app as celery_app
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 30.0


def database_url_for_worker() -> str:
    """The URL of the test database this session created, for another process."""
    base = os.environ.get("DATABASE_URL") or embedded.postgres_url()
    return urlunsplit(urlsplit(base)._replace(path="/" + connection.settings_dict["NAME"]))


@contextmanager
def celery_worker_process(
    *, log_dir: Path, queues: Sequence[str] = ("celery",), env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A config worker`` (solo pool: one task at a time, in the worker process itself)
    consuming ``queues``, started and answering pings before the body runs, stopped after it
    (SIGTERM: a warm shutdown; SIGKILL if that takes over 30 s). Its log is printed at the end,
    so pytest shows it with a failed test."""
    celery_app.control.purge()
    log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", f"--queues={','.join(queues)}",
         f"--hostname=test-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_worker(),
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(
            lambda: process.poll() is not None or bool(celery_app.control.ping(timeout=0.5)),
            timeout=START_TIMEOUT_SECONDS,
        )
        assert process.poll() is None, f"the worker exited at start:\n{log_path.read_text()}"
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        log.close()
        celery_app.control.purge()
        print(f"--- worker log ({log_path}) ---\n{log_path.read_text(errors='replace')}")
