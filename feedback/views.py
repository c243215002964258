"""The listener's "Your taste" page and its "leave out of my taste" forms. Thin."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.consent import ConsentRequired, consent_allows
from accounts.models import ConsentPurpose, User
from config.errors import ApplicationError
from config.uploads import content_length
from feedback import history_imports, selectors, services
from feedback.models import HistoryFormat
from feedback.recent import recent_listening


class ExclusionForm(forms.Form):
    track = forms.IntegerField(required=False, widget=forms.HiddenInput)
    artist = forms.IntegerField(required=False, widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


@login_required
@require_GET
def taste(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    return render(
        request,
        "feedback/taste.html",
        {
            "profile": selectors.taste_profile(user=user),
            "recent": recent_listening(user=user),
            "window_form": ExclusionForm(),
            "personalization": consent_allows(user, ConsentPurpose.PERSONALIZATION),
            "listening_history": consent_allows(user, ConsentPurpose.LISTENING_HISTORY),
        },
    )


@login_required
@require_POST
def exclusion_add(request: HttpRequest) -> HttpResponse:
    form = ExclusionForm(request.POST)
    if form.is_valid():
        try:
            services.taste_exclusion_add(
                user=cast(User, request.user),
                track_id=form.cleaned_data["track"],
                artist_id=form.cleaned_data["artist"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
            )
            messages.success(request, "Left out of your taste. Your next playlists reflect it.")
        except ApplicationError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Give the time window as two valid dates and times.")
    return redirect("feedback:taste")


@login_required
@require_POST
def exclusion_remove(request: HttpRequest, exclusion_id: int) -> HttpResponse:
    exclusion = selectors.taste_exclusion_get(user=cast(User, request.user), exclusion_id=exclusion_id)
    services.taste_exclusion_remove(exclusion=exclusion)
    messages.success(request, "Back in your taste.")
    return redirect("feedback:taste")


# --- listening-history imports ------------------------------------------------------------------


class HistoryUploadForm(forms.Form):
    file = forms.FileField(label="History file")
    history_format = forms.ChoiceField(choices=HistoryFormat.choices, label="From")


def _history_context(user: User) -> dict[str, Any]:
    jobs = selectors.history_import_list(user=user)
    return {
        "jobs": jobs,
        "jobs_active": any(not job.is_finished for job in jobs),
        "max_upload_bytes": settings.HISTORY_UPLOAD_MAX_BYTES,
        "listening_history": consent_allows(user, ConsentPurpose.LISTENING_HISTORY),
    }


def _history_page(
    request: HttpRequest, form: HistoryUploadForm, *, status: int = 200, upload_error: str = ""
) -> HttpResponse:
    context = {"form": form, "upload_error": upload_error, **_history_context(cast(User, request.user))}
    return render(request, "feedback/history.html", context, status=status)


# CSRF is checked by _history_upload, after the size check: the middleware would read (and store)
# the whole upload just to find the token in it.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def history(request: HttpRequest) -> HttpResponse:
    """Import a listening history from Spotify, ListenBrainz or Last.fm; the jobs' live status."""
    if request.method == "POST":
        size = content_length(request)
        if size > settings.HISTORY_UPLOAD_MAX_BYTES:
            message = (
                f"That upload is {filesizeformat(size)}; files up to "
                f"{filesizeformat(settings.HISTORY_UPLOAD_MAX_BYTES)} are accepted here."
            )
            return _history_page(request, HistoryUploadForm(), status=413, upload_error=message)
        return _history_upload(request)
    return _history_page(request, HistoryUploadForm())


@csrf_protect
def _history_upload(request: HttpRequest) -> HttpResponse:
    form = HistoryUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _history_page(request, form, status=400)
    try:
        job = history_imports.history_import_request(
            user=cast(User, request.user),
            uploaded_file=form.cleaned_data["file"],
            history_format=form.cleaned_data["history_format"],
        )
    except (ApplicationError, ConsentRequired) as error:
        return _history_page(request, form, status=400, upload_error=getattr(error, "message", str(error)))
    messages.success(request, f"Importing {job.original_name}; its progress shows below.")
    return redirect("feedback:history")


@login_required
@require_GET
def history_status(request: HttpRequest) -> HttpResponse:
    """The job list, polled while an import runs."""
    return render(request, "feedback/history.html#jobs", _history_context(cast(User, request.user)))
