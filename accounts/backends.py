"""Login lockout (django-axes) wired for e-mail logins."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when there is no request to attribute the attempt to.

    Every web login (the login page, the admin) passes the request; only code without one —
    Django's test client ``login()``, a shell — calls ``authenticate`` without it, and axes
    would raise instead of letting the next backend check the password.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The login name axes counts failures for: the e-mail lower-cased, so case can't dodge it."""
    value = (credentials or {}).get("username") or (credentials or {}).get("email")
    if value is None:
        value = request.POST.get("username", "")
    return str(value).strip().lower()
