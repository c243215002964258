"""Serving a track's audio (HTTP Range) and cover art. Being written: see issue "Music you can hear"."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def track_stream(request: HttpRequest, track_id: int) -> HttpResponse:
    raise Http404("Streaming is not built yet.")


def track_cover(request: HttpRequest, track_id: int) -> HttpResponse:
    raise Http404("Cover art is not built yet.")
