"""Kept so existing imports work: the pure code lives in ``playlists.engine.lexicon``."""

from playlists.engine.lexicon import *  # noqa: F403
