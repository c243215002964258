"""Uploads refused by size before a byte of the body is read (pages and API alike)."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def content_length(request: Any) -> int:
    """The request's declared body size (0 when absent or unreadable)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def upload_size_check(request: Any, *, limit: int) -> None:
    """Raise PayloadTooLarge (HTTP 413) when a POST declares more than ``limit`` bytes.

    Call it before anything reads the body: CSRF checks and form parsing store the whole file.
    """
    size = content_length(request)
    if request.method == "POST" and size > limit:
        raise PayloadTooLarge(f"The upload is {size:,} bytes; the limit is {limit:,} bytes.", code=None)
