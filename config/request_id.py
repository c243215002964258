"""A request id that follows a generation from the web request into its Celery task, and JSON logs
that carry it.

    web request ──► RequestIdMiddleware (X-Request-ID in, or a new one) ──► contextvar
    .delay_on_commit() ──► before_task_publish: the id rides in the message headers
    worker ──► task_prerun: the contextvar is set from the headers ──► every log line has it

Importing this module connects the Celery signals (config.celery imports it for every process).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
CELERY_HEADER = "segue_request_id"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="")


def request_id_current() -> str:
    return request_id_var.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Takes a well-formed X-Request-ID from the client or proxy, else makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _VALID.match(incoming) else request_id_new()
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


@before_task_publish.connect
def _request_id_to_headers(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id and CELERY_HEADER not in headers:
        headers[CELERY_HEADER] = request_id


@task_prerun.connect
def _request_id_from_headers(task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, CELERY_HEADER, None) or ""
    if not request_id and request is not None and isinstance(getattr(request, "headers", None), dict):
        request_id = request.headers.get(CELERY_HEADER, "")
    if request_id:
        request_id_var.set(str(request_id))
    elif not request_id_var.get():  # an eager task keeps its caller's id; others get their own
        request_id_var.set(f"task-{getattr(request, 'id', '') or ''}")


@task_postrun.connect
def _request_id_clear(**kwargs: Any) -> None:
    request_id_var.set("")


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
