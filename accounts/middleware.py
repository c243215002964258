"""Send a logged-in listener to the consent questions while the current policy has unanswered ones."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.consent import consent_needs_answers

# Pages that must work before consents are answered (or have nothing to do with them); the API
# answers with ConsentRequired (403) where a purpose is needed instead of redirecting.
EXEMPT_PREFIXES = ("/accounts/", "/privacy/", "/static/", "/media/", "/admin/", "/api/", "/healthz")


class ConsentRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(EXEMPT_PREFIXES)
            and consent_needs_answers(user)
        ):
            target = (
                reverse("accounts:onboarding_consents") + "?" + urlencode({"next": request.get_full_path()})
            )
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return HttpResponseRedirect(target)
        return self.get_response(request)
