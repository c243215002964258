"""The vocabulary prompts are matched against, built from the catalog's tags (no Django imports).

The Django side (``playlists.composer.vocabulary_load``) reads tag counts and co-occurrences
and passes an encoder and an artist lookup; everything here works on plain values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from playlists.engine.lexicon import LEXICON, LexiconEntry, tag_hint_names
from playlists.engine.matching import ExactSpellings, embeddable_phrases

Encoder = Callable[[Sequence[str]], np.ndarray]
PHRASE_CACHE_SIZE = 20_000
# A tag is narrower than another when nearly all its tracks also carry the other one.
CHILD_MIN_SHARE = 0.95


def tag_hierarchy(
    tag_counts: Mapping[str, int],
    pair_counts: Mapping[tuple[str, str], int],
    *,
    min_share: float = CHILD_MIN_SHARE,
) -> dict[str, list[str]]:
    """Parent tag -> narrower tags ("rock" -> "hard rock") from how often tags co-occur."""
    children: dict[str, list[str]] = {}
    for (first, second), together in pair_counts.items():
        for child, parent in ((first, second), (second, first)):
            child_count, parent_count = tag_counts.get(child, 0), tag_counts.get(parent, 0)
            if child_count and child_count < parent_count and together / child_count >= min_share:
                children.setdefault(parent, []).append(child)
    return {parent: sorted(set(names)) for parent, names in children.items()}


@dataclass
class CatalogVocabulary:
    tag_names: list[str]
    tag_vectors: np.ndarray
    tag_children: dict[str, list[str]]
    lexicon: Sequence[LexiconEntry]
    phrase_owner: list[int]
    phrase_vectors: np.ndarray
    encoder: Encoder
    artist_lookup: Callable[[str], str | None]
    _cache: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)

    _known: dict[str, np.ndarray] = field(default_factory=dict)
    exact_spellings: ExactSpellings = field(init=False)

    def __post_init__(self) -> None:
        self.exact_spellings = ExactSpellings.of(self.tag_names, self.lexicon)
        # Tag names and lexicon phrases are embedded already: a prompt word equal to one is free.
        self._known.update(zip(self.tag_names, self.tag_vectors, strict=True))
        for row, (_, phrase) in enumerate(embeddable_phrases(self.lexicon)):
            self._known.setdefault(phrase, self.phrase_vectors[row])

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Texts embedded once for good (never evicted, never cleared): the vocabulary's own."""
        self._known.update(zip(texts, vectors, strict=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``; phrases seen before come from a per-process cache."""
        missing = [
            text for text in dict.fromkeys(texts) if text not in self._known and text not in self._cache
        ]
        if missing:
            for text, vector in zip(missing, self.encoder(missing), strict=True):
                self._cache[text] = vector
        for text in texts:
            if text in self._cache:
                self._cache.move_to_end(text)
        while len(self._cache) > PHRASE_CACHE_SIZE:
            self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._known[text] if text in self._known else self._cache[text] for text in texts])

    def clear_cache(self) -> None:
        self._cache.clear()

    def find_artist(self, text: str) -> str | None:
        return self.artist_lookup(text.strip())


def vocabulary_build(
    *,
    tag_counts: Mapping[str, int],
    pair_counts: Mapping[tuple[str, str], int],
    encoder: Encoder,
    artist_lookup: Callable[[str], str | None],
    lexicon: Sequence[LexiconEntry] = LEXICON,
) -> CatalogVocabulary:
    tag_names = sorted(name for name, count in tag_counts.items() if count > 0)
    phrases = embeddable_phrases(lexicon)
    hints = [hint for hint in tag_hint_names(lexicon) if hint not in set(tag_names)]
    texts = tag_names + [phrase for _, phrase in phrases] + hints
    vectors = encoder(texts) if texts else np.zeros((0, 0), dtype=np.float32)
    phrases_end = len(tag_names) + len(phrases)
    vocabulary = CatalogVocabulary(
        tag_names=tag_names,
        tag_vectors=vectors[: len(tag_names)],
        tag_children=tag_hierarchy(tag_counts, pair_counts),
        lexicon=lexicon,
        phrase_owner=[index for index, _ in phrases],
        phrase_vectors=vectors[len(tag_names) : phrases_end],
        encoder=encoder,
        artist_lookup=artist_lookup,
    )
    # Hints are the same for every prompt: embedded once here, not with each prompt's words.
    vocabulary.remember(hints, vectors[phrases_end:])
    return vocabulary
