"""What the test broker holds: a queued task read back from Redis itself, not from a mock.

Tests that check *that* work was queued (not the work) read the queue's messages here; the
work is tested with the real worker elsewhere.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from config.celery import app as celery_app

QueuedCall = tuple[tuple[Any, ...], dict[str, Any]]


def broker_purge() -> None:
    """Drop every message waiting in the test broker's queues."""
    celery_app.control.purge()


def queued_calls(task_name: str, *, queue: str = "celery") -> list[QueuedCall]:
    """The (args, kwargs) of every ``task_name`` message waiting in ``queue``, oldest first."""
    with celery_app.connection_for_read() as connection:
        raw_messages = connection.default_channel.client.lrange(queue, 0, -1)
    # Kombu's Redis transport pushes on the left: the oldest message is last.
    return [call for message in reversed(raw_messages) if (call := _call_of(message, task_name))]


def _call_of(raw_message: bytes, task_name: str) -> QueuedCall | None:
    message = json.loads(raw_message)
    if message["headers"].get("task") != task_name:
        return None
    args, kwargs, _options = json.loads(base64.b64decode(message["body"]))
    return tuple(args), kwargs
