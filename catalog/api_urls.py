from django.urls import path

from catalog import api, library_api

app_name = "catalog_api"

urlpatterns = [
    path("tracks/", api.TrackListApi.as_view(), name="track_list"),
    path("tracks/search/", api.TrackSearchApi.as_view(), name="track_search"),
    path("tracks/<int:track_id>/", api.TrackDetailApi.as_view(), name="track_detail"),
    path("tracks/<int:track_id>/similar/", api.TrackSimilarApi.as_view(), name="track_similar"),
    path("catalog/imports/", api.CatalogImportListCreateApi.as_view(), name="import_list"),
    path("catalog/imports/<int:import_id>/", api.CatalogImportDetailApi.as_view(), name="import_detail"),
    path("catalog/embedding-status/", api.EmbeddingStatusApi.as_view(), name="embedding_status"),
    path("catalog/libraries/", library_api.LibrarySourceListCreateApi.as_view(), name="library_list"),
    path(
        "catalog/libraries/<int:source_id>/",
        library_api.LibrarySourceDetailApi.as_view(),
        name="library_detail",
    ),
    path(
        "catalog/libraries/<int:source_id>/scans/",
        library_api.LibraryScanCreateApi.as_view(),
        name="library_scan_create",
    ),
    path(
        "catalog/libraries/scans/<int:scan_id>/",
        library_api.LibraryScanDetailApi.as_view(),
        name="library_scan_detail",
    ),
    path(
        "catalog/libraries/scans/<int:scan_id>/cancel/",
        library_api.LibraryScanCancelApi.as_view(),
        name="library_scan_cancel",
    ),
    path("tracks/<int:track_id>/radio/", api.TrackRadioApi.as_view(), name="track_radio"),
]
