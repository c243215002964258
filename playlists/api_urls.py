from django.urls import path

from playlists import api

app_name = "playlists_api"

urlpatterns = [
    path("", api.PlaylistListCreateApi.as_view(), name="list"),
    path("<int:playlist_id>/", api.PlaylistDetailApi.as_view(), name="detail"),
    path("<int:playlist_id>/status/", api.PlaylistStatusApi.as_view(), name="status"),
    path("<int:playlist_id>/versions/", api.PlaylistVersionListApi.as_view(), name="versions"),
    path("<int:playlist_id>/versions/<int:number>/retry/", api.PlaylistRetryApi.as_view(), name="retry"),
    path("<int:playlist_id>/refine/", api.PlaylistRefineApi.as_view(), name="refine"),
    path("<int:playlist_id>/intent/", api.PlaylistIntentApi.as_view(), name="intent"),
    path("<int:playlist_id>/push/", api.PlaylistPushApi.as_view(), name="push"),
    path("<int:playlist_id>/export/<str:export_format>/", api.PlaylistExportApi.as_view(), name="export"),
]
