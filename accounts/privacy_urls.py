from django.urls import path

from accounts import views

app_name = "privacy"

urlpatterns = [
    path("", views.privacy_center, name="center"),
    path("consents/<str:purpose>/", views.consent_change, name="consent_change"),
    path("consents/<str:purpose>/erase/", views.purpose_data_erase, name="purpose_data_erase"),
    path("consents/<str:purpose>/keep/", views.purpose_data_keep, name="purpose_data_keep"),
    path("exports/", views.export_request, name="export_request"),
    path("exports/status/", views.export_status, name="export_status"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
    path("delete/", views.account_delete, name="account_delete"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("curator/consents/", views.consent_overview, name="consent_overview"),
]
