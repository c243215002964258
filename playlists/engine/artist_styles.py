"""A small curated map from well-known artists to their style, for artists not in the catalog.

When a prompt names an artist the library does not hold ("something like Radiohead"), the
playlist uses the artist's style instead and says so. The styles are common genre words (as
music press and encyclopedias describe these artists); only those that are tags of the catalog
are used. The table is data, ``[artist_styles]`` in data/lexicon.toml, which the parser reads
for its tag hints too. Keys are lower-case. Deliberately short: a wrong style is worse than
none, and an artist missing there is still named ("not in your library; used the rest of the
prompt").
"""

from __future__ import annotations

from playlists.engine.lexicon import ARTIST_STYLES


def artist_style(name: str) -> tuple[str, ...]:
    """The style of a well-known artist (genre tag names), or () when it is not curated here."""
    return ARTIST_STYLES.get(name.strip().lower(), ())
