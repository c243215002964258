from catalog.documents import track_document


def test_document_describes_track_in_words() -> None:
    document = track_document(
        title="Blue Train",
        artists=["John Coltrane"],
        album="Blue Train",
        tags=["jazz", "hard bop"],
        release_year=1957,
        features={
            "tempo": 140.2,
            "energy": 0.45,
            "valence": 0.6,
            "acousticness": 0.8,
            "instrumentalness": 0.7,
        },
    )
    assert document.startswith("Blue Train by John Coltrane. album Blue Train")
    assert "genres and tags: hard bop, jazz" in document
    for words in (
        "fast tempo",
        "140 bpm",
        "medium energy",
        "relaxed mood",
        "acoustic",
        "instrumental",
        "1950s",
    ):
        assert words in document


def test_document_without_features_has_no_sound_part() -> None:
    assert track_document(title="X", artists=["Y"]) == "X by Y"
