"""Who may call what: token scopes, and the curator role for curator pages and APIs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.authentication import token_from_request
from accounts.models import TokenScope

if TYPE_CHECKING:
    from rest_framework.views import APIView


class TokenHasScope(BasePermission):
    """A token needs ``read`` for safe methods and ``write`` otherwise, unless the view names
    its own scope (``required_scope = "feedback"``). Browser sessions are not scoped."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = token_from_request(request)
        if token is None:
            return True
        required = getattr(view, "required_scope", None) or (
            TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE
        )
        if required in token.scopes:
            return True
        self.message = f"This token lacks the '{required}' scope; create a token with it on the tokens page."
        return False


class IsCurator(BasePermission):
    """Curators (and staff) only. List TokenHasScope beside it: ``[IsCurator, TokenHasScope]``."""

    message = "This is for curators."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_curator", False))


def curator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Page decorator: log in first, then curators (and staff) only; others get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_curator", False):
            raise PermissionDenied("This page is for curators.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)
