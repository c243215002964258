from tests.catalog.subsonic_fixtures import peer_factory, subsonic_peer

__all__ = ["peer_factory", "subsonic_peer"]
