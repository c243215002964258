"""Audio-feature vocabulary shared by models, importers and search (no Django imports)."""

EMBEDDING_DIMENSIONS = 384
# The sound vector (catalog.audio): timbre, harmony and rhythm statistics of a track's audio.
SOUND_VECTOR_DIMENSIONS = 64

# Inclusive valid range of each audio feature, as Spotify defines them.
AUDIO_FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "tempo": (0.0, 300.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "speechiness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "loudness": (-60.0, 5.0),
    "key": (-1, 11),
    "mode": (0, 1),
}
INTEGER_FEATURES = frozenset({"key", "mode"})
# Features measured on a 0..1 scale, in the order they are shown.
UNIT_FEATURES = (
    "danceability",
    "energy",
    "valence",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
)
AUDIO_FEATURES = tuple(AUDIO_FEATURE_RANGES)
