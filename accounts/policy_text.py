"""The first privacy policy, published by a data migration (plain text, no Django import)."""

INITIAL_VERSION = "2026-11"
INITIAL_TEXT = """Segue privacy policy, version 2026-11.

Segue stores your account (e-mail, optional name, password hash) to let you log in.
With your consent, and only for the purposes you choose:
- personalization: your listening history and the genres/artists you pick shape your playlists;
- listening history: your plays, skips, likes and imported history are stored;
- experiments: you may be placed in A/B tests of recommendation methods, under a pseudonym.
You can withdraw any consent at any time on your privacy page; it takes effect immediately.
You can download all your data, and delete your account with all your data.
Raw listening events are kept for a limited time (EVENT_RETENTION_DAYS), then aggregated into
anonymous counts and deleted.
"""
