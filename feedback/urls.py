from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.taste, name="taste"),
    path("history/", views.history, name="history"),
    path("history/status/", views.history_status, name="history_status"),
    path("exclusions/", views.exclusion_add, name="exclusion_add"),
    path("exclusions/<int:exclusion_id>/remove/", views.exclusion_remove, name="exclusion_remove"),
]
