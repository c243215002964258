"""Branded error pages for what Django's handlers do not render: an empty 405.

Django renders templates/400.html, 403.html, 404.html and 500.html itself when DEBUG is off;
a view refusing a method (``require_http_methods``, ``require_POST``) answers an empty 405,
which a browser shows as a blank page (going back to a form and reloading it, say).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults


class MethodNotAllowedPageMiddleware:
    """An empty 405 becomes templates/405.html, with the same ``Allow`` header. API answers carry
    a JSON body already and pass unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


# Where the JSON API lives: the main API and the editorial desk's experiments and monitoring API.
API_PATH_PREFIXES = ("/api/", "/desk/ops/api/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: on API paths a JSON ``{"detail": …}`` as the API's own 404s (an address no
    route matches, e.g. a text id where a number belongs); elsewhere the branded page."""
    if is_api_path(request.path):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: on API paths a JSON ``{"detail": …}``, with the reason of a BadRequest (our own
    messages; a SuspiciousOperation's text stays in the log); elsewhere the branded page."""
    if is_api_path(request.path):
        reason = str(exception) if type(exception) is BadRequest else ""
        return JsonResponse({"detail": reason or "Bad request."}, status=400)
    return defaults.bad_request(request, exception)
