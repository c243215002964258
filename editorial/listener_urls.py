from django.urls import path

from editorial import views

app_name = "editorial"

urlpatterns = [
    path("", views.published_list, name="published"),
    path("<int:playlist_id>/", views.published_detail, name="published_detail"),
    path("report/<int:playlist_id>/", views.report, name="report"),
]
