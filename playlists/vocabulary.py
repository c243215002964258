"""Kept so existing imports work: the pure code lives in ``playlists.engine.vocabulary``."""

from playlists.engine.vocabulary import *  # noqa: F403
