from tests.catalog.subsonic_fixtures import subsonic_peer

__all__ = ["subsonic_peer"]
