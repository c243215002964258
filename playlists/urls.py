from django.urls import path

from playlists import views

app_name = "playlists"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.playlist_create, name="create"),
    path("refresh-notices/hide/", views.refresh_notices_hide, name="refresh_notices_hide"),
    path("<int:playlist_id>/", views.playlist_detail, name="detail"),
    path("<int:playlist_id>/status/", views.playlist_status, name="status"),
    path("<int:playlist_id>/refine/", views.playlist_refine, name="refine"),
    path("<int:playlist_id>/edit/", views.playlist_intent_edit, name="intent_edit"),
    path("<int:playlist_id>/regenerate/", views.playlist_regenerate, name="regenerate"),
    path("<int:playlist_id>/tracks/edit/", views.track_edit, name="track_edit"),
    path("<int:playlist_id>/tracks/search/", views.track_add_search, name="track_search"),
    path("<int:playlist_id>/tracks/dislike/", views.track_dislike, name="track_dislike"),
    path("<int:playlist_id>/tracks/undo-dislike/", views.dislike_undo, name="dislike_undo"),
    path("<int:playlist_id>/versions/<int:number>/retry/", views.version_retry, name="retry"),
    path("<int:playlist_id>/settings/", views.playlist_settings, name="settings"),
    path("<int:playlist_id>/delete/", views.playlist_delete, name="delete"),
    path("<int:playlist_id>/push/", views.playlist_push, name="push"),
    path("<int:playlist_id>/export.<str:export_format>", views.playlist_export, name="export"),
]
