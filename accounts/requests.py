"""The signed-in user of a request, typed: one definition for every view and API view."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


def request_user(request: HttpRequest | Request) -> User:
    """The request's user, for views behind ``login_required`` and API views behind
    ``IsAuthenticated``: there an anonymous user is a wiring mistake, so it fails loudly
    (an ``assert`` would vanish under ``python -O``)."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError(f"{request.path} needs a signed-in user; is the view behind login_required?")
    return user
