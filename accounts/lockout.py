"""Every password check outside the login form counts toward the login lockout (django-axes).

Deleting the account or changing the password asks for the password too: without this, those
forms would be an unlimited oracle for guessing it. A wrong answer is recorded as a failed login
for the account's e-mail (and the client's address), and a locked account's password is not
even checked until the cool-off has passed.
"""

from __future__ import annotations

from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.models import User
from config.error_pages import is_api_path
from config.errors import ApplicationError


class PasswordLockedOut(ApplicationError):
    """Too many wrong passwords for this account or from this address: the API answers 429."""

    status_code = 429


def duration_words(duration: timedelta) -> str:
    """``timedelta(minutes=15)`` → "15 minutes"; ``timedelta(hours=1, minutes=30)`` → "1 hour 30 minutes"."""
    minutes = max(1, round(duration.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def lockout_message() -> str:
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    wait = (
        f"Try again in {duration_words(cooloff)}." if isinstance(cooloff, timedelta) else "Try again later."
    )
    return f"Too many wrong passwords for this account: password checks are paused. {wait}"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: on API paths a JSON 429 ``{"detail": …}`` saying how long to wait, as
    every other API error; elsewhere the lockout page."""
    if is_api_path(request.path):
        return JsonResponse({"detail": lockout_message()}, status=429)
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, {"cooloff_timedelta": cooloff}, status=429)


def password_verify(*, request: HttpRequest, user: User, password: str) -> bool:
    """True if ``password`` is the user's. A wrong one counts as a failed login; while the account
    (or the client's address) is locked out, raise PasswordLockedOut without checking."""
    credentials = {"username": user.email}
    if AxesProxyHandler.is_locked(request, credentials):
        raise PasswordLockedOut(lockout_message())
    if user.check_password(password):
        return True
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_locked(request, credentials):
        raise PasswordLockedOut(lockout_message())
    return False
