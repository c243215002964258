"""The feedback work that services queue for the worker, asked for by task name.

``feedback.tasks`` imports the services (a task is a thin wrapper round one), so the services
cannot import the tasks back; they queue through here instead, and nothing in this module
imports either. ``tests/feedback/test_queueing.py`` checks each name against the registered task.
"""

from __future__ import annotations

from functools import partial

from celery import current_app
from django.db import transaction

USER_VECTOR_REFRESH_TASK = "feedback.tasks.refresh_user_vector"


def user_vector_refresh_queue(*, user_id: int) -> None:
    """Queue one listener's CF vector refresh once the current transaction commits (as the task's
    ``delay_on_commit`` would: at once outside a transaction, never if it rolls back)."""
    transaction.on_commit(
        partial(current_app.send_task, USER_VECTOR_REFRESH_TASK, kwargs={"user_id": user_id})
    )
