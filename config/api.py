from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the errors Django or the parsers raise that must still reach the client
    as JSON with a message: ApplicationError (400, or its own status), a body over the size limit
    (413), a bad request or parameter (400) and JSON nested too deeply to parse (400)."""
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return Response(
            {"detail": f"The request body is larger than the {limit_mb:g} MB this endpoint accepts."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, BadRequest | SuspiciousOperation):
        return Response({"detail": str(exc) or "Bad request."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RecursionError):
        return Response(
            {"detail": "The JSON is nested too deeply to read."}, status=status.HTTP_400_BAD_REQUEST
        )
    return drf_exception_handler(exc, context)
