"""The onboarding taste step (after the consents): a few favourite genres and artists. Thin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.requests import request_user
from config.errors import ApplicationError
from feedback import taste_seeds


class TasteSeedForm(forms.Form):
    tags = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    artists = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(
        self,
        *args: Any,
        tag_choices: list[tuple[int, str]],
        artist_choices: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = tag_choices  # type: ignore[attr-defined]
        self.fields["artists"].choices = artist_choices  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_taste(request: HttpRequest) -> HttpResponse:
    """Optional: a few favourite genres and artists that seed a new listener's taste."""
    user = request_user(request)
    seeds = taste_seeds.taste_seeds_for_user(user=user)
    form = TasteSeedForm(
        request.POST or None,
        initial={"tags": [tag.pk for tag in seeds.tags], "artists": [artist.pk for artist in seeds.artists]},
        tag_choices=[(tag.pk, tag.name) for tag in taste_seeds.onboarding_genres()],
        artist_choices=[(artist.pk, artist.name) for artist in taste_seeds.onboarding_artists()],
    )
    if request.method == "POST" and form.is_valid():
        try:
            taste_seeds.taste_seeds_set(
                user=user, tag_ids=form.cleaned_data["tags"], artist_ids=form.cleaned_data["artists"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Welcome to Segue! Your picks will shape your first playlists.")
            return redirect("playlists:home")
    return render(
        request, "feedback/onboarding_taste.html", {"form": form}, status=400 if form.errors else 200
    )
