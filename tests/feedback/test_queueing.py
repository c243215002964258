"""Services queue feedback's tasks by name (feedback.queueing); each name must be a registered task."""

from __future__ import annotations

from celery import current_app

from feedback import queueing, tasks


def test_the_vector_refresh_is_queued_under_the_refresh_tasks_name() -> None:
    assert current_app.tasks[queueing.USER_VECTOR_REFRESH_TASK].name == tasks.refresh_user_vector.name
