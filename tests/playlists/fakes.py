"""A vocabulary for pure parser tests: a bag-of-words hashing encoder instead of the model.

Equal texts get equal vectors (similarity 1), texts sharing words are partly similar, others
are nearly orthogonal; enough to test the grammar and the matching logic without the model.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

from playlists.engine.lexicon import LEXICON
from playlists.engine.vocabulary import CatalogVocabulary, vocabulary_build

DIMENSIONS = 256


def _word_vector(word: str) -> np.ndarray:
    return np.random.default_rng(zlib.crc32(word.encode())).standard_normal(DIMENSIONS)


def hashing_encoder(texts: Sequence[str]) -> np.ndarray:
    vectors = []
    for text in texts:
        words = re.findall(r"[\w&]+", text.lower()) or ["<empty>"]
        vector = np.sum([_word_vector(word) for word in words], axis=0)
        vectors.append(vector / np.linalg.norm(vector))
    return np.asarray(vectors, dtype=np.float32)


def fake_vocabulary(
    tags: dict[str, int] | None = None,
    pairs: dict[tuple[str, str], int] | None = None,
    artists: Sequence[str] = ("Drake", "Nina Simone", "Radiohead"),
) -> CatalogVocabulary:
    tags = tags or {
        "rock": 100,
        "hard rock": 30,
        "classic rock": 40,
        "rap": 80,
        "trap": 20,
        "jazz": 50,
        "pop": 90,
    }
    pairs = pairs or {("hard rock", "rock"): 30, ("classic rock", "rock"): 40, ("rap", "trap"): 20}
    known = {name.lower(): name for name in artists}
    return vocabulary_build(
        tag_counts=tags,
        pair_counts=pairs,
        encoder=hashing_encoder,
        artist_lookup=lambda text: known.get(text.lower()),
        lexicon=LEXICON,
    )
