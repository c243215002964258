from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("tracks/<int:track_id>/", views.track_detail, name="track"),
    path("imports/", views.imports, name="imports"),
    path("imports/status/", views.import_status, name="import_status"),
    path("imports/embedding/", views.embedding_status, name="embedding_status"),
    path("libraries/", views.libraries, name="libraries"),
    path("libraries/status/", views.library_status, name="library_status"),
    path("libraries/<int:source_id>/scan/", views.library_rescan, name="library_rescan"),
    path("libraries/<int:source_id>/remove/", views.library_remove, name="library_remove"),
    path("libraries/scans/<int:scan_id>/cancel/", views.library_scan_cancel, name="library_scan_cancel"),
    path("tracks/<int:track_id>/radio/", views.track_radio, name="radio"),
]
