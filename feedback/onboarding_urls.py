"""The onboarding taste step, mounted under /accounts/onboarding/ beside the consents step (so the
consent middleware's /accounts/ exemption and the URL a new listener follows stay as they were)."""

from django.urls import path

from feedback import onboarding_views

app_name = "onboarding"

urlpatterns = [
    path("taste/", onboarding_views.onboarding_taste, name="taste"),
]
