"""Account pages: sign-up, onboarding consents, the privacy center and tokens (the onboarding taste
step that follows the consents is feedback's: feedback/onboarding_views.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import exports, selectors, services
from accounts.consent import (
    PURPOSE_DESCRIPTIONS,
    consent_state,
    policy_current,
    purpose_parse,
)
from accounts.erase_offers import erase_offer_close, erase_offers_open
from accounts.forms import (
    AccountDeleteForm,
    ConsentForm,
    LockoutPasswordChangeForm,
    SignupForm,
    TokenCreateForm,
)
from accounts.models import ConsentPurpose, User
from accounts.permissions import curator_required
from accounts.requests import request_user
from config.errors import ApplicationError


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _is_fragment_request(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


# --- sign-up and onboarding ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("privacy:center")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.signup_start(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            confirm_url=lambda token: request.build_absolute_uri(
                reverse("accounts:signup_confirm", args=[token]) if token else reverse("accounts:login")
            ),
        )
        # The same page whether the address is new or has an account (the e-mail differs).
        return render(
            request,
            "accounts/message_page.html",
            {
                "title": "Check your e-mail",
                "message": f"We sent a message to {form.cleaned_data['email']}. "
                "Follow its link to finish signing up.",
            },
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The sign-up e-mail's link: a button (mail scanners follow links with GET), then the account."""
    if request.method == "POST":
        try:
            user = services.signup_confirm(token=token)
        except ApplicationError as exc:
            problem = {"title": "Sign-up link", "message": exc.message}
            return render(request, "accounts/message_page.html", problem, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(f"{reverse('accounts:onboarding_consents')}?onboarding=1")
    context: dict[str, object] = {"title": "Finish signing up", "button": "Create my account", "form": None}
    return render(request, "accounts/form_page.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_consents(request: HttpRequest) -> HttpResponse:
    """The consent questions: after sign-up, and again whenever a new policy is published."""
    user = request_user(request)
    policy = policy_current()
    state = consent_state(user, policy=policy)
    onboarding = request.GET.get("onboarding") == "1" or request.POST.get("onboarding") == "1"
    form = ConsentForm(request.POST or None, initial_state=state)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record_choices(user=user, choices=form.choices())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if onboarding:
                return redirect("onboarding:taste")
            messages.success(request, "Thank you: your choices are saved. You can change them any time here.")
            return redirect(_safe_next(request, reverse("privacy:center")))
    context = {
        "form": form,
        "policy": policy,
        "onboarding": onboarding,
        "renewal": not onboarding and any(answer is None for answer in state.values()),
        "next": _safe_next(request, ""),
    }
    return render(request, "accounts/onboarding_consents.html", context, status=400 if form.errors else 200)


# --- privacy center -------------------------------------------------------------------------------


def _consents_context(user: User) -> dict[str, Any]:
    state = consent_state(user)
    return {
        "consents": [
            {
                "purpose": purpose.value,
                "label": purpose.label,
                "description": PURPOSE_DESCRIPTIONS[purpose],
                "granted": state[purpose],
            }
            for purpose in ConsentPurpose
        ],
        "erase_offers": erase_offers_open(user=user),
        "history": selectors.consent_history(user=user),
        "policy": policy_current(),
    }


def _exports_context(user: User) -> dict[str, Any]:
    exports = list(selectors.data_export_list(user=user))
    return {"exports": exports, "exports_active": any(export.is_active for export in exports)}


@login_required
@require_GET
def privacy_center(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    context = {
        "held": selectors.privacy_counts(user=user),
        "token_count": selectors.token_list(user=user).filter(revoked_at__isnull=True).count(),
        **_consents_context(user),
        **_exports_context(user),
    }
    return render(request, "privacy/center.html", context)


@login_required
@require_POST
def consent_change(request: HttpRequest, purpose: str) -> HttpResponse:
    """One click: grant or withdraw one purpose (``granted`` = yes/no in the form)."""
    user = request_user(request)
    try:
        parsed = purpose_parse(purpose)
    except ApplicationError:
        raise Http404("No such consent purpose.") from None
    answer = request.POST.get("granted")
    if answer not in ("yes", "no"):
        notice = "Choose to grant or to withdraw the consent."
    elif answer == "yes":
        services.consent_grant(user=user, purpose=parsed)
        notice = f"{parsed.label}: consent granted."
    else:
        services.consent_withdraw(user=user, purpose=parsed)
        notice = f"{parsed.label}: consent withdrawn. It takes effect right away."
    if _is_fragment_request(request):
        # The fragment carries its own notice: a queued message would show up on a later page.
        context = {**_consents_context(user), "notice": notice}
        return render(request, "privacy/center.html#consents", context)
    messages.info(request, notice)
    if answer == "no":
        return redirect(f"{reverse('privacy:center')}?offer_erase={parsed.value}#consents")
    return redirect(f"{reverse('privacy:center')}#consents")


@login_required
@require_POST
def purpose_data_erase(request: HttpRequest, purpose: str) -> HttpResponse:
    """After withdrawing a purpose: also delete what was stored under it."""
    try:
        parsed = purpose_parse(purpose)
    except ApplicationError:
        raise Http404("No such consent purpose.") from None
    deleted = services.purpose_data_erase(user=request_user(request), purpose=parsed)
    erase_offer_close(user=request_user(request), purpose=parsed)
    messages.success(
        request,
        f"Deleted {deleted} stored record{'s' if deleted != 1 else ''} of your {parsed.label.lower()}."
        if deleted
        else f"Nothing of your {parsed.label.lower()} was stored.",
    )
    return redirect("privacy:center")


@login_required
@require_POST
def purpose_data_keep(request: HttpRequest, purpose: str) -> HttpResponse:
    """After withdrawing a purpose: keep what was stored (answers the offer to delete it)."""
    try:
        parsed = purpose_parse(purpose)
    except ApplicationError:
        raise Http404("No such consent purpose.") from None
    erase_offer_close(user=request_user(request), purpose=parsed)
    messages.info(request, f"Kept your stored {parsed.label.lower()}; nothing new is stored for it.")
    return redirect(f"{reverse('privacy:center')}#consents")


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    exports.data_export_request(user=user)
    if _is_fragment_request(request):
        return render(request, "privacy/center.html#exports", _exports_context(user))
    messages.success(request, "Your data export is being prepared; it appears below when ready.")
    return redirect(f"{reverse('privacy:center')}#export")


@login_required
@require_GET
def export_status(request: HttpRequest) -> HttpResponse:
    """The exports fragment; it keeps polling itself while an export is being prepared."""
    return render(request, "privacy/center.html#exports", _exports_context(request_user(request)))


@login_required
@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponse | FileResponse:
    """The owner's ZIP; another user's export is a 404, an expired one a 410 with an explanation."""
    export = selectors.data_export_get(user=request_user(request), export_id=export_id)
    path, problem = selectors.data_export_file(export=export)
    if path is None:
        return render(request, "privacy/export_gone.html", {"problem": problem}, status=410)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"segue-data-{export.pk}.zip")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_erasure_request(
                user=user, password=form.cleaned_data["password"], request=request
            )
        except ApplicationError as exc:
            form.add_error("password", exc.message)
        else:
            logout(request)
            messages.success(request, "Your account is closed and all your data is being erased. Goodbye!")
            return redirect("accounts:login")
    return render(request, "privacy/delete.html", {"form": form}, status=400 if form.errors else 200)


# --- tokens ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.token_create(
                user=user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            # Shown in this response only: never stored, never shown again.
            new_token = {"token": token, "raw": raw}
            form = TokenCreateForm()
    context = {"form": form, "tokens": selectors.token_list(user=user), "new_token": new_token}
    response = render(request, "privacy/tokens.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.token_revoke(user=request_user(request), token_id=token_id)
    messages.success(request, f"Token “{token.name}” is revoked; it no longer works.")
    return redirect("privacy:tokens")


# --- curators -------------------------------------------------------------------------------------


@curator_required
@require_GET
def consent_overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/consent_overview.html",
        {"rows": selectors.consent_overview_counts(), "policy": policy_current()},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view with LockoutPasswordChangeForm: a wrong old password counts as a failed login."""

    form_class = LockoutPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, rate-limited per address asked for and per client address (an hour's window):
    past the limit no e-mail goes out and the form says to wait (the same for every address)."""

    def form_valid(self, form: Any) -> HttpResponse:
        email = str(form.cleaned_data["email"]).strip().lower()
        client = get_client_ip_address(self.request) or "unknown"
        keys = [
            (
                f"password-reset:email:{hashlib.sha256(email.encode()).hexdigest()}",
                settings.PASSWORD_RESET_MAX_PER_HOUR,
            ),
            (f"password-reset:ip:{client}", settings.PASSWORD_RESET_MAX_PER_HOUR_PER_IP),
        ]
        for key, limit in keys:
            cache.add(key, 0, timeout=60 * 60)
            if cache.incr(key) > limit:
                form.add_error(None, "Too many reset requests; please wait an hour and try again.")
                return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
