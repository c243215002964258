"""A small curated map from well-known artists to their style, for artists not in the catalog.

When a prompt names an artist the library does not hold ("something like Radiohead"), the
playlist uses the artist's style instead and says so. The styles are common genre words (as
music press and encyclopedias describe these artists); only those that are tags of the catalog
are used. Keys are lower-case. Deliberately short: a wrong style is worse than none, and an
artist missing here is still named ("not in your library; used the rest of the prompt").
"""

from __future__ import annotations

ARTIST_STYLES: dict[str, tuple[str, ...]] = {
    "radiohead": ("alternative rock", "art rock", "electronic"),
    "bad bunny": ("reggaeton", "latin trap", "latin"),
    "drake": ("hip hop", "rap", "r&b"),
    "taylor swift": ("pop", "country", "singer-songwriter"),
    "beyoncé": ("r&b", "pop", "soul"),
    "beyonce": ("r&b", "pop", "soul"),
    "the beatles": ("rock", "pop rock", "british invasion"),
    "miles davis": ("jazz", "cool jazz", "jazz fusion"),
    "john coltrane": ("jazz", "hard bop", "free jazz"),
    "daft punk": ("house", "electronic", "french house"),
    "kendrick lamar": ("hip hop", "rap", "conscious hip hop"),
    "billie eilish": ("pop", "electropop", "alternative"),
    "metallica": ("metal", "thrash metal", "heavy metal"),
    "nirvana": ("grunge", "alternative rock", "rock"),
    "bob marley": ("reggae", "roots reggae"),
    "johnny cash": ("country", "folk", "rockabilly"),
    "aphex twin": ("electronic", "idm", "ambient"),
    "brian eno": ("ambient", "electronic", "art rock"),
    "adele": ("pop", "soul", "singer-songwriter"),
    "coldplay": ("pop rock", "alternative rock", "rock"),
    "the weeknd": ("r&b", "pop", "synthpop"),
    "eminem": ("hip hop", "rap"),
    "norah jones": ("jazz", "pop", "singer-songwriter"),
    "bach": ("classical", "baroque"),
    "johann sebastian bach": ("classical", "baroque"),
    "mozart": ("classical",),
    "chopin": ("classical", "piano"),
    "shakira": ("latin", "latin pop", "pop"),
    "j balvin": ("reggaeton", "latin"),
    "rosalía": ("flamenco", "latin", "pop"),
    "rosalia": ("flamenco", "latin", "pop"),
    "fleetwood mac": ("rock", "soft rock", "pop rock"),
    "pink floyd": ("progressive rock", "psychedelic rock", "rock"),
    "massive attack": ("trip hop", "electronic"),
    "portishead": ("trip hop", "electronic"),
    "bon iver": ("indie folk", "folk", "indie"),
}


def artist_style(name: str) -> tuple[str, ...]:
    """The style of a well-known artist (genre tag names), or () when it is not curated here."""
    return ARTIST_STYLES.get(name.strip().lower(), ())
