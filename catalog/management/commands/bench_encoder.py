"""The text encoder on ONNX Runtime against PyTorch, in the same run: per-prompt latency, agreement,
load time and catalog-batch throughput (BENCHMARKS.md, *Prompt encoder on ONNX Runtime*)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.demo import generate_demo_rows
from catalog.documents import track_document
from catalog.embeddings import (
    ENCODE_BATCH_SIZE,
    encode_documents,
    encode_texts_torch_one_thread,
    get_encoder,
    onnx_model_path,
    package_model_dir,
)
from catalog.onnx_encoder import EncoderExportError, OnnxTextEncoder, encoder_load_current
from catalog.onnx_export import PROMPT_TEXTS, cosines

FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "tempo")


def _seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _milliseconds(samples: list[float]) -> str:
    p50, p95 = np.percentile(np.array(samples) * 1000, [50, 95])
    return f"p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   mean {np.mean(samples) * 1000:6.1f} ms"


def demo_documents(count: int) -> list[str]:
    """Track documents as the catalog writes them, for ``count`` deterministic demo tracks."""
    return [
        track_document(
            title=row["title"],
            artists=[row["artist"]],
            album=row["album"],
            tags=[tag.split(":", 1)[-1] for tag in row["tags"]],
            release_year=row["release_year"],
            features={name: row[name] for name in FEATURES},
        )
        for row in generate_demo_rows(count)
    ]


class Command(BaseCommand):
    help = (
        "Per-prompt encode time, ONNX Runtime against PyTorch (one thread each, alternated prompt by "
        "prompt in one run), their cosine, load times, and catalog batches on all cores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--runs", type=int, default=5, help=f"Passes over the {len(PROMPT_TEXTS)} prompts."
        )
        parser.add_argument(
            "--documents", type=int, default=1024, help="Documents for the batch comparison (0 skips it)."
        )
        parser.add_argument(
            "--batch-runs", type=int, default=2, help="Passes over the documents per backend."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import torch

        path = onnx_model_path()
        model_dir = package_model_dir()
        try:
            onnx_load = _seconds(lambda: encoder_load_current(onnx_path=path, model_dir=model_dir))
        except EncoderExportError as error:
            raise CommandError(f"{error} Run `python manage.py export_prompt_encoder` first.") from error
        torch_load = _seconds(get_encoder)
        prompt_encoder = OnnxTextEncoder(onnx_path=path, model_dir=model_dir, threads=1)
        self.stdout.write(
            f"Load: ONNX Runtime {onnx_load:.2f} s (fingerprint check included), "
            f"PyTorch {torch_load:.2f} s; torch threads {torch.get_num_threads()}"
        )

        def onnx_prompt(prompt: str) -> np.ndarray:
            return prompt_encoder.encode([prompt])

        def torch_prompt(prompt: str) -> np.ndarray:
            return encode_texts_torch_one_thread([prompt])

        for prompt in PROMPT_TEXTS[:5]:  # warm-up, not timed
            onnx_prompt(prompt)
            torch_prompt(prompt)
        timings: dict[str, list[float]] = {"onnx": [], "torch": []}
        backends = {"onnx": onnx_prompt, "torch": torch_prompt}
        for run in range(options["runs"]):
            for index, prompt in enumerate(PROMPT_TEXTS):
                # Alternate which goes first, so neither always runs on a warmer cache.
                order = ("onnx", "torch") if (run + index) % 2 == 0 else ("torch", "onnx")
                for name in order:
                    encode = backends[name]
                    timings[name].append(_seconds(lambda encode=encode, prompt=prompt: encode(prompt)))  # type: ignore[misc]
        agreement = cosines(
            np.concatenate([onnx_prompt(prompt) for prompt in PROMPT_TEXTS]),
            encode_texts_torch_one_thread(PROMPT_TEXTS),
        )
        onnx_p50, onnx_p95 = np.percentile(timings["onnx"], [50, 95])
        torch_p50, torch_p95 = np.percentile(timings["torch"], [50, 95])
        self.stdout.write(
            f"\nOne prompt, one thread ({options['runs']} passes x {len(PROMPT_TEXTS)} prompts, "
            "alternated):\n"
            f"  ONNX Runtime  {_milliseconds(timings['onnx'])}\n"
            f"  PyTorch       {_milliseconds(timings['torch'])}\n"
            f"  PyTorch / ONNX: p50 {torch_p50 / onnx_p50:.2f}x, p95 {torch_p95 / onnx_p95:.2f}x\n"
            f"  cosine ONNX to PyTorch: min {agreement.min():.9f}, mean {agreement.mean():.9f}"
        )
        if options["documents"] > 0:
            self._batches(options, threads=torch.get_num_threads())

    def _batches(self, options: dict[str, Any], *, threads: int) -> None:
        """Catalog batches (batch size 64, longest first) on all cores, as the embedding worker runs."""
        documents = demo_documents(options["documents"])
        batch_encoder = OnnxTextEncoder(
            onnx_path=onnx_model_path(), model_dir=package_model_dir(), threads=threads
        )
        batch_encoder.encode(documents[:64])
        encode_documents(documents[:64])
        rates: dict[str, list[float]] = {"onnx": [], "torch": []}
        for run in range(options["batch_runs"]):
            order = ("onnx", "torch") if run % 2 == 0 else ("torch", "onnx")
            for name in order:
                if name == "onnx":
                    seconds = _seconds(lambda: batch_encoder.encode(documents, batch_size=ENCODE_BATCH_SIZE))
                else:
                    seconds = _seconds(lambda: encode_documents(documents))
                rates[name].append(len(documents) / seconds)
        agreement = cosines(batch_encoder.encode(documents), encode_documents(documents))
        self.stdout.write(
            f"\n{len(documents)} track documents, batches of {ENCODE_BATCH_SIZE}, {threads} threads "
            f"({options['batch_runs']} passes, alternated):\n"
            f"  ONNX Runtime  {', '.join(f'{rate:,.0f}' for rate in rates['onnx'])} documents/s\n"
            f"  PyTorch       {', '.join(f'{rate:,.0f}' for rate in rates['torch'])} documents/s\n"
            f"  cosine ONNX to PyTorch: min {agreement.min():.9f}, mean {agreement.mean():.9f}"
        )
