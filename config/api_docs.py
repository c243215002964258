"""ReDoc's bundle, served from here with its one third-party request removed.

The side menu of ReDoc's standalone bundle always shows Redocly's logo from cdn.redoc.ly; under
our Content-Security-Policy (``img-src 'self' data:``) that load is blocked and logged as an
error on every docs page. This view serves drf-spectacular-sidecar's copy of the bundle with
that address replaced by an empty inline image, so the docs load nothing from elsewhere.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
THIRD_PARTY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"


@lru_cache(maxsize=1)
def redoc_bundle_text() -> str:
    path = finders.find(REDOC_BUNDLE)
    if not path:
        raise Http404("ReDoc is not installed (drf-spectacular-sidecar).")
    with open(str(path), encoding="utf-8") as bundle:
        return bundle.read().replace(THIRD_PARTY_LOGO, EMPTY_IMAGE)


@require_GET
@cache_control(max_age=24 * 3600, public=True)
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    return HttpResponse(redoc_bundle_text(), content_type="text/javascript; charset=utf-8")
