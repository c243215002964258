from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.permissions import READ_ONLY
from config.api_docs import redoc_bundle
from config.health import healthz
from config.metrics import metrics_view
from playlists import site_pages

# The API docs pages (third-party templates) carry inline <style> and style their widgets from
# script; they still run no inline script.
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})


# Tokens may read the schema and its docs pages: every API view declares its scopes.
class SchemaApi(SpectacularAPIView):
    required_scope = READ_ONLY


class SwaggerApi(SpectacularSwaggerSplitView):
    required_scope = READ_ONLY


class RedocApi(SpectacularRedocView):
    required_scope = READ_ONLY


urlpatterns = [
    path("", site_pages.landing, name="landing"),
    path("favicon.ico", site_pages.favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("desk/ops/", include("editorial.experiments.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/onboarding/", include("feedback.onboarding_urls")),
    path("privacy/", include("accounts.privacy_urls")),
    path("catalog/", include("catalog.urls")),
    path("tracks/", include("catalog.stream_urls")),
    path("playlists/", include("playlists.urls")),
    path("desk/", include("editorial.urls")),
    path("editorial/", include("editorial.listener_urls")),
    path("api/", include("catalog.api_urls")),
    path("api/playlists/", include("playlists.api_urls")),
    path("api/", include("accounts.api_urls")),
    path("api/editorial/", include("editorial.api_urls")),
    path("api/feedback/", include("feedback.api_urls")),
    path("taste/", include("feedback.urls")),
    path("api/schema/", SchemaApi.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as a file: no inline script (CSP).
    path("api/docs/", docs_csp(SwaggerApi.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", docs_csp(RedocApi.as_view(url_name="api-schema")), name="api-redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="api-redoc-bundle"),
]

handler400 = "config.error_pages.bad_request"
handler404 = "config.error_pages.page_not_found"
