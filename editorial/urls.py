from django.urls import path

from editorial import views

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:item_id>/", views.review, name="review"),
    path("queue/<int:item_id>/decide/", views.review_decide, name="review_decide"),
    path("queue/<int:item_id>/resolve/", views.review_resolve, name="review_resolve"),
    path("themes/", views.themes, name="themes"),
    path("themes/<int:theme_id>/", views.theme, name="theme"),
    path("themes/<int:theme_id>/pins/", views.pin_create, name="pin_create"),
    path("themes/<int:theme_id>/boosts/", views.boost_create, name="boost_create"),
    path("pins/<int:pin_id>/delete/", views.pin_delete, name="pin_delete"),
    path("boosts/<int:boost_id>/", views.boost_change, name="boost_change"),
    path("blocks/", views.blocks, name="blocks"),
    path("blocks/<int:block_id>/delete/", views.block_delete, name="block_delete"),
    path("playlists/", views.playlists, name="playlists"),
    path("playlists/<int:playlist_id>/", views.playlist_edit, name="playlist"),
    path("playlists/<int:playlist_id>/<str:edit>/", views.playlist_change, name="playlist_change"),
    path("audit/", views.audit, name="audit"),
]
