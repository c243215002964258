from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("tracks/<int:track_id>/", views.track_detail, name="track"),
    path("imports/", views.imports, name="imports"),
    path("imports/status/", views.import_status, name="import_status"),
    path("imports/embedding/", views.embedding_status, name="embedding_status"),
    path("tracks/<int:track_id>/radio/", views.track_radio, name="radio"),
]
