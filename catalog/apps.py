from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        # Imported here, not at the top: models can be imported only once the app registry is ready.
        from accounts import privacy
        from catalog.subsonic_links import subsonic_pushes_erase

        # Erasure deletes the playlists Segue pushed to the listener's own media servers.
        privacy.register_erasure_hook(subsonic_pushes_erase)
