"""Kept so existing imports work: the pure code lives in ``playlists.engine.intent``."""

from playlists.engine.intent import *  # noqa: F403
