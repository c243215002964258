"""A small catalog made here and embedded with the real model (the real data sets never enter)."""

from __future__ import annotations

import pytest

from catalog.embedding_services import track_embed_pending
from catalog.models import Track
from catalog.services import track_documents_refresh
from tests.catalog.factories import TrackFactory

# (title, artist, tags, energy, valence, tempo, year)
CATALOG = [
    *[
        (f"Blue Night {n}", f"Jazz Trio {n}", ["jazz"], 0.15 + n * 0.01, 0.4, 80 + n, 1960 + n)
        for n in range(10)
    ],
    *[(f"Drake Slow Jam {n}", "Drake", ["jazz", "rap"], 0.2, 0.4, 85.0, 2015) for n in range(4)],
    *[
        (f"Road Anthem {n}", f"Rock Band {n % 5}", ["rock"], 0.7 + n * 0.02, 0.6, 120 + n, 1975 + n)
        for n in range(10)
    ],
    *[
        (f"Heavy Riff {n}", f"Metal Crew {n % 5}", ["rock", "hard rock"], 0.95, 0.3, 150.0, 1985)
        for n in range(10)
    ],
    *[(f"Street Verse {n}", f"MC {n % 5}", ["rap"], 0.8, 0.5, 95.0 + n, 2005) for n in range(8)],
]


@pytest.fixture
def catalog(db: None) -> dict[str, Track]:
    tracks = {}
    for title, artist, tags, energy, valence, tempo, year in CATALOG:
        tracks[title] = TrackFactory(
            title=title,
            artists=[artist],
            tags=tags,
            energy=energy,
            valence=valence,
            tempo=tempo,
            release_year=year,
            embedding=None,
            document="",
        )
    track_documents_refresh(track_ids=[track.pk for track in tracks.values()])
    assert track_embed_pending(limit=len(tracks)) == len(tracks)
    return tracks
