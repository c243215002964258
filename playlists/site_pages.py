"""Pages outside a listener's own playlists: the landing page a logged-out visitor meets at `/`,
and `/favicon.ico` (browsers ask for it on every page, whatever the <link rel=icon> says)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# A made-up but typical result, so a visitor sees what a prompt turns into before signing up.
LANDING_EXAMPLE = {
    "prompt": "rainy sunday acoustic, easing into calm songs",
    "title": "Rainy Sunday Unplugged",
    "tracks": (
        ("Paper Lanterns", "The Low Tides", "fits: acoustic, calm"),
        ("Window Seat", "Mara Quinn", "because you played Harbour Lights"),
        ("Slow Kettle", "June Avenue", "fits: rainy day, mellow"),
        ("Last Ferry Home", "Otto Brandt", "new to you · fits: calm"),
    ),
}


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("playlists:home")
    return render(request, "landing/index.html", {"example": LANDING_EXAMPLE})


@require_GET
@cache_control(max_age=7 * 24 * 3600, public=True)
def favicon(request: HttpRequest) -> HttpResponseBase:
    path = finders.find("icons/favicon.ico")
    if not isinstance(path, str):
        raise Http404("No favicon.")
    return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 (FileResponse closes it)
