"""Who may call what: token scopes, and the curator role for curator pages and APIs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.authentication import token_from_request
from accounts.scopes import READ_ONLY, READ_WRITE, scope_required, token_scope_check

if TYPE_CHECKING:
    from rest_framework.views import APIView

__all__ = ["READ_ONLY", "READ_WRITE", "IsCurator", "TokenHasScope", "curator_required", "scope_required"]


class TokenHasScope(BasePermission):
    """The scope check as a permission (the authentication runs it too, for every token request).

    Browser sessions are not scoped."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = token_from_request(request)
        if token is None:
            return True
        token_scope_check(token=token, view=view, method=request.method or "GET")
        return True


class IsCurator(BasePermission):
    """Curators (and staff) only."""

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
