from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[object]:
    """A real Celery worker (in a thread of this process) consuming the real Redis broker.

    Tests using it must commit their data (``django_db(transaction=True)``) so the worker's
    own database connection sees it.
    """
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
    app.control.purge()
