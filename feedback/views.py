"""The listener's "Your taste" page and its "leave out of my taste" forms. Thin."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from config.errors import ApplicationError
from feedback import selectors, services


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
