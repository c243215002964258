from django.urls import path

from accounts import api

app_name = "privacy_api"

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="me"),
    path("privacy/consents/", api.ConsentApi.as_view(), name="consents"),
    path("privacy/summary/", api.PrivacySummaryApi.as_view(), name="summary"),
    path("privacy/exports/", api.ExportListCreateApi.as_view(), name="export_list"),
    path("privacy/exports/<int:export_id>/", api.ExportDetailApi.as_view(), name="export_detail"),
    path(
        "privacy/exports/<int:export_id>/download/", api.ExportDownloadApi.as_view(), name="export_download"
    ),
    path("privacy/consent-overview/", api.ConsentOverviewApi.as_view(), name="consent_overview"),
    path("tokens/", api.TokenListCreateApi.as_view(), name="token_list"),
    path("tokens/<int:token_id>/", api.TokenRevokeApi.as_view(), name="token_revoke"),
    path("account/delete/", api.AccountDeleteApi.as_view(), name="account_delete"),
]
