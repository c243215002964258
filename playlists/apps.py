from django.apps import AppConfig


class PlaylistsConfig(AppConfig):
    name = "playlists"
