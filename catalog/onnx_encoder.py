"""The text encoder on ONNX Runtime: all-MiniLM-L6-v2 exported once from the installed package.

Pure (numpy, onnxruntime, the package's fast tokenizer; no Django, no torch), so it loads in a
fraction of the PyTorch model's time and encodes one prompt in about half its time (BENCHMARKS.md,
*Prompt encoder on ONNX Runtime*). The exported graph is only the transformer; the rest of the
sentence-transformers pipeline (tokenization, mean pooling over the attention mask, L2
normalisation) is done here, after checking that the package's pipeline is exactly that
(``pipeline_read``): a package whose pooling changed is refused, never encoded differently.

An export is a pair of files: ``<name>.onnx`` and its manifest ``<name>.json`` (the source
model's fingerprint and the export settings). The manifest is written last and removed first by
the exporter, so an ``.onnx`` without a manifest is an unfinished export and is never loaded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Bumped when what the manifest promises changes (inputs, outputs, pooling done here).
EXPORT_FORMAT = 1
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
SOURCE_WEIGHTS = "model.safetensors"

_EXPECTED_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)
_POOLING_MODES = (
    "pooling_mode_cls_token",
    "pooling_mode_mean_tokens",
    "pooling_mode_max_tokens",
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
)


class EncoderExportError(RuntimeError):
    """The exported encoder cannot stand in for the package's model (missing, stale, other pipeline)."""


@dataclass(frozen=True)
class Pipeline:
    """What the package's sentence-transformers configuration asks for after the transformer."""

    max_seq_length: int
    dimensions: int


def pipeline_read(model_dir: Path) -> Pipeline:
    """The package's pipeline, refused unless it is transformer -> mean pooling -> Normalize."""
    modules = json.loads((model_dir / "modules.json").read_text())
    types = tuple(module["type"] for module in sorted(modules, key=lambda module: module["idx"]))
    if types != _EXPECTED_MODULES:
        raise EncoderExportError(
            f"Unsupported sentence-transformers pipeline {types}; expected {_EXPECTED_MODULES}."
        )
    pooling_path = next(module["path"] for module in modules if module["type"].endswith(".Pooling"))
    pooling = json.loads((model_dir / pooling_path / "config.json").read_text())
    modes = {mode for mode in _POOLING_MODES if pooling.get(mode)}
    if modes != {"pooling_mode_mean_tokens"} or pooling.get("include_prompt", True) is not True:
        raise EncoderExportError(
            f"Unsupported pooling {sorted(modes)} ({pooling}); only mean pooling is implemented here."
        )
    settings = json.loads((model_dir / "sentence_bert_config.json").read_text())
    if settings.get("do_lower_case"):
        # The fast tokenizer lower-cases already; sentence-transformers would lower-case again.
        raise EncoderExportError("do_lower_case in sentence_bert_config.json is not implemented here.")
    return Pipeline(
        max_seq_length=int(settings["max_seq_length"]), dimensions=int(pooling["word_embedding_dimension"])
    )


def model_fingerprint(model_dir: Path) -> str:
    """sha256 of the package's weights: an export made from other weights is stale."""
    digest = hashlib.sha256()
    with open(model_dir / SOURCE_WEIGHTS, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(onnx_path: Path) -> Path:
    return onnx_path.with_suffix(".json")


def manifest_read(onnx_path: Path) -> dict[str, Any]:
    """The export's manifest, checked against the file beside it (not against the package)."""
    if not onnx_path.exists():
        raise EncoderExportError(f"No exported encoder at {onnx_path}.")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path(onnx_path).read_text())
    except FileNotFoundError:
        raise EncoderExportError(f"{onnx_path} has no manifest (an unfinished export).") from None
    except json.JSONDecodeError as error:
        raise EncoderExportError(f"Unreadable manifest beside {onnx_path}: {error}.") from None
    if manifest.get("format") != EXPORT_FORMAT:
        raise EncoderExportError(
            f"{onnx_path} has export format {manifest.get('format')}, not {EXPORT_FORMAT}."
        )
    if manifest.get("onnx_bytes") != onnx_path.stat().st_size:
        raise EncoderExportError(f"{onnx_path} is not the file its manifest describes (size differs).")
    return manifest


def mean_pool_normalize(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling over the real tokens, then L2 normalisation (float32)."""
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (hidden.astype(np.float32) * mask).sum(axis=1)
    pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OnnxTextEncoder:
    """The exported transformer plus tokenization and pooling; ``encode`` is thread-safe.

    ``threads`` is onnxruntime's intra-op thread count for this session (one inter-op thread):
    one for a prompt's few short texts, where a second thread only spin-waits on a busy machine.
    """

    def __init__(self, *, onnx_path: Path, model_dir: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.pipeline = pipeline_read(model_dir)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # As sentence-transformers tokenizes: truncate to max_seq_length, pad to the batch's longest.
        self._tokenizer.enable_truncation(max_length=self.pipeline.max_seq_length)
        pad_id = self._tokenizer.token_to_id("[PAD]")
        self._tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        names = tuple(node.name for node in self._session.get_inputs())
        if set(names) != set(INPUT_NAMES):
            raise EncoderExportError(f"{onnx_path} takes inputs {names}, not {INPUT_NAMES}.")

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """An (n, dimensions) float32 array of unit vectors, in the order of ``texts``.

        Texts are batched longest first, as sentence-transformers does, so a batch pads little.
        """
        vectors = np.zeros((len(texts), self.pipeline.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda index: -len(texts[index]))
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            vectors[indices] = self._encode_batch([texts[index] for index in indices])
        return vectors

    def tokenize(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The model's inputs for one batch: (n, longest) int64 arrays named as ``INPUT_NAMES``."""
        encodings = self._tokenizer.encode_batch(list(texts))
        return {
            "input_ids": np.array([encoding.ids for encoding in encodings], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids for encoding in encodings], dtype=np.int64),
        }

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        feeds = self.tokenize(texts)
        (hidden,) = self._session.run([OUTPUT_NAME], feeds)
        return mean_pool_normalize(hidden, feeds["attention_mask"])


_load_lock = threading.Lock()


def encoder_load_current(*, onnx_path: Path, model_dir: Path, threads: int = 1) -> OnnxTextEncoder:
    """The exported encoder if it was made from the package's current weights; raises otherwise."""
    with _load_lock:
        manifest = manifest_read(onnx_path)
        fingerprint = model_fingerprint(model_dir)
        if manifest.get("source_sha256") != fingerprint:
            raise EncoderExportError(
                f"{onnx_path} was exported from other weights ({str(manifest.get('source_sha256'))[:12]}…, "
                f"installed {fingerprint[:12]}…)."
            )
        return OnnxTextEncoder(onnx_path=onnx_path, model_dir=model_dir, threads=threads)
