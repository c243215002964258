"""The prompt encoder on ONNX Runtime: same vectors as PyTorch, used only when its export is current,
and an export that is kept only when it agrees."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalog import embeddings
from catalog.bench.sample_prompts import BENCH_PROMPTS
from catalog.embeddings import (
    encode_prompts,
    encode_texts_torch_one_thread,
    get_encoder,
    get_prompt_encoder,
    onnx_model_path,
    package_model_dir,
)
from catalog.onnx_encoder import (
    EncoderExportError,
    OnnxTextEncoder,
    encoder_load_current,
    manifest_path,
    mean_pool_normalize,
    pipeline_read,
)
from catalog.onnx_export import VERIFICATION_TEXTS, cosines, encoder_export

PROMPTS = [
    *BENCH_PROMPTS,
    "an hour of focus music without vocals",
    "20 minutes of jazz",
    "Lieder für einen regnerischen Nachmittag",
    "Blue Train by John Coltrane. genres and tags: jazz, hard bop. mellow, acoustic, 1950s",
]


@pytest.fixture(scope="session")
def exported_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A current export: the one `make install` wrote, or (pytest run without it) one made here."""
    try:
        encoder_load_current(onnx_path=onnx_model_path(), model_dir=package_model_dir())
    except EncoderExportError:
        destination = tmp_path_factory.mktemp("models") / "all-minilm-l6-v2.onnx"
        return encoder_export(model_dir=package_model_dir(), onnx_path=destination).onnx_path
    return onnx_model_path()


@pytest.fixture
def prompt_encoder_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Point the app's prompt encoder at a given .onnx file; the process's choice is reloaded after."""

    def point(path: Path) -> None:
        monkeypatch.setattr(embeddings, "onnx_model_path", lambda: path)
        get_prompt_encoder.cache_clear()

    yield point
    get_prompt_encoder.cache_clear()


def _pooling_model_dir(tmp_path: Path, **pooling_changes: object) -> Path:
    """A copy of the package's model folder (weights linked, not copied) with other pooling settings."""
    source = package_model_dir()
    model_dir = tmp_path / "model"
    shutil.copytree(source, model_dir, ignore=shutil.ignore_patterns("model.safetensors"))
    os.symlink(source / "model.safetensors", model_dir / "model.safetensors")
    pooling_file = model_dir / "1_Pooling" / "config.json"
    pooling_file.write_text(json.dumps({**json.loads(pooling_file.read_text()), **pooling_changes}))
    return model_dir


# --- same vectors ------------------------------------------------------------------------------


@pytest.mark.model
def test_onnx_prompt_vectors_match_pytorch(exported_encoder: Path) -> None:
    encoder = OnnxTextEncoder(onnx_path=exported_encoder, model_dir=package_model_dir())
    reference = encode_texts_torch_one_thread(PROMPTS)

    batched = encoder.encode(PROMPTS)
    one_at_a_time = np.concatenate([encoder.encode([prompt]) for prompt in PROMPTS])

    assert batched.shape == reference.shape and batched.dtype == np.float32
    assert cosines(batched, reference).min() >= 0.999
    assert cosines(one_at_a_time, reference).min() >= 0.999
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_tokens_are_those_sentence_transformers_feeds_the_model(exported_encoder: Path) -> None:
    encoder = OnnxTextEncoder(onnx_path=exported_encoder, model_dir=package_model_dir())
    texts = [*PROMPTS[:5], "Café Über naïve", "音乐 派对", "emoji 🎉!!", "", "word " * 400]
    transformer = get_encoder()[0]

    expected = transformer.tokenizer(
        texts, padding=True, truncation=True, max_length=transformer.max_seq_length, return_tensors="np"
    )
    got = encoder.tokenize(texts)

    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(got[name], expected[name]), name


@pytest.mark.model
def test_prompts_are_encoded_with_onnx_when_the_export_is_current(
    exported_encoder: Path, prompt_encoder_at: object
) -> None:
    prompt_encoder_at(exported_encoder)  # type: ignore[operator]

    encoder = get_prompt_encoder()

    assert encoder is not None
    assert np.array_equal(encode_prompts(PROMPTS[:3]), encoder.encode(PROMPTS[:3]))
    assert cosines(encode_prompts(PROMPTS), encode_texts_torch_one_thread(PROMPTS)).min() >= 0.999


@pytest.mark.model
def test_concurrent_prompts_get_the_same_vectors(exported_encoder: Path) -> None:
    encoder = OnnxTextEncoder(onnx_path=exported_encoder, model_dir=package_model_dir())
    expected = [encoder.encode([prompt]) for prompt in PROMPTS]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda prompt: encoder.encode([prompt]), PROMPTS))

    assert all(np.array_equal(got, want) for got, want in zip(results, expected, strict=True))


# --- fallback to PyTorch -----------------------------------------------------------------------


@pytest.mark.model
def test_missing_export_falls_back_to_pytorch_with_one_warning(
    tmp_path: Path, prompt_encoder_at: object, caplog: pytest.LogCaptureFixture
) -> None:
    prompt_encoder_at(tmp_path / "models" / "all-minilm-l6-v2.onnx")  # type: ignore[operator]

    with caplog.at_level(logging.WARNING, logger="catalog.embeddings"):
        first = encode_prompts(PROMPTS[:2])
        second = encode_prompts(PROMPTS[2:4])

    assert get_prompt_encoder() is None
    assert np.array_equal(first, encode_texts_torch_one_thread(PROMPTS[:2]))
    assert second.shape == (2, 384)
    warnings = [record for record in caplog.records if "export_prompt_encoder" in record.getMessage()]
    assert len(warnings) == 1
    assert "No exported encoder" in warnings[0].getMessage()


@pytest.mark.model
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("other_weights", "exported from other weights"),
        ("no_manifest", "has no manifest"),
        ("truncated_model", "size differs"),
        ("broken_manifest", "Unreadable manifest"),
    ],
)
def test_stale_or_unfinished_export_falls_back_to_pytorch(
    exported_encoder: Path,
    tmp_path: Path,
    prompt_encoder_at: object,
    caplog: pytest.LogCaptureFixture,
    change: str,
    reason: str,
) -> None:
    onnx_path = tmp_path / "all-minilm-l6-v2.onnx"
    manifest = json.loads(manifest_path(exported_encoder).read_text())
    if change == "truncated_model":
        onnx_path.write_bytes(exported_encoder.read_bytes()[:1000])
    else:
        os.symlink(exported_encoder, onnx_path)
    if change == "other_weights":
        manifest["source_sha256"] = "0" * 64
    if change == "broken_manifest":
        manifest_path(onnx_path).write_text('{"format": 1, "source_sha')
    elif change != "no_manifest":
        manifest_path(onnx_path).write_text(json.dumps(manifest))
    prompt_encoder_at(onnx_path)  # type: ignore[operator]

    with caplog.at_level(logging.WARNING, logger="catalog.embeddings"):
        vectors = encode_prompts(PROMPTS[:2])

    assert get_prompt_encoder() is None
    assert np.array_equal(vectors, encode_texts_torch_one_thread(PROMPTS[:2]))
    assert reason in caplog.text


# --- the pipeline it implements ----------------------------------------------------------------


def test_package_pipeline_is_mean_pooling_then_normalize() -> None:
    pipeline = pipeline_read(package_model_dir())

    assert (pipeline.max_seq_length, pipeline.dimensions) == (256, 384)


@pytest.mark.parametrize(
    "pooling_changes",
    [
        {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True},
        {"pooling_mode_max_tokens": True},
        {"include_prompt": False},
    ],
)
def test_other_pooling_is_refused(tmp_path: Path, pooling_changes: dict[str, object]) -> None:
    model_dir = _pooling_model_dir(tmp_path, **pooling_changes)

    with pytest.raises(EncoderExportError, match="pooling"):
        pipeline_read(model_dir)


def test_a_pipeline_without_normalize_is_refused(tmp_path: Path) -> None:
    model_dir = _pooling_model_dir(tmp_path)
    modules = json.loads((model_dir / "modules.json").read_text())
    kept = [module for module in modules if not module["type"].endswith("Normalize")]
    (model_dir / "modules.json").write_text(json.dumps(kept))

    with pytest.raises(EncoderExportError, match="pipeline"):
        pipeline_read(model_dir)


def test_mean_pooling_ignores_padding_and_normalizes() -> None:
    hidden = np.array([[[3.0, 0.0], [1.0, 0.0], [99.0, 99.0]], [[0.0, 2.0], [0.0, 4.0], [0.0, 6.0]]])
    mask = np.array([[1, 1, 0], [1, 1, 1]])

    pooled = mean_pool_normalize(hidden, mask)

    assert np.allclose(pooled, [[1.0, 0.0], [0.0, 1.0]])
    assert pooled.dtype == np.float32


# --- the export --------------------------------------------------------------------------------


@pytest.mark.model
def test_export_command_writes_a_checked_model_and_its_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    onnx_path = tmp_path / "models" / "encoder.onnx"

    call_command("export_prompt_encoder", "--output", str(onnx_path))

    manifest = json.loads(manifest_path(onnx_path).read_text())
    assert manifest["checked"]["min_cosine"] >= 0.999
    assert manifest["opset"] == 17 and manifest["onnx_bytes"] == onnx_path.stat().st_size
    assert sorted(path.name for path in onnx_path.parent.iterdir()) == ["encoder.json", "encoder.onnx"]
    assert encoder_load_current(onnx_path=onnx_path, model_dir=package_model_dir()) is not None
    output = capsys.readouterr().out
    assert f"Checked on {len(VERIFICATION_TEXTS)} texts against PyTorch: cosine min" in output

    call_command("export_prompt_encoder", "--output", str(onnx_path), "--if-stale")

    assert "is current" in capsys.readouterr().out


@pytest.mark.model
def test_export_that_disagrees_with_pytorch_is_not_kept(tmp_path: Path) -> None:
    onnx_path = tmp_path / "encoder.onnx"
    onnx_path.write_bytes(b"the previous export")
    manifest_path(onnx_path).write_text("{}")

    with pytest.raises(EncoderExportError, match="disagrees with PyTorch"):
        # No model reaches a cosine above 1: this stands for an export whose vectors drifted.
        encoder_export(model_dir=package_model_dir(), onnx_path=onnx_path, min_cosine=1.5)

    assert onnx_path.read_bytes() == b"the previous export"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["encoder.json", "encoder.onnx"]


def test_export_command_refuses_a_model_with_other_pooling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_dir = _pooling_model_dir(tmp_path, pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    monkeypatch.setattr(
        "catalog.management.commands.export_prompt_encoder.package_model_dir", lambda: model_dir
    )
    onnx_path = tmp_path / "models" / "encoder.onnx"

    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("export_prompt_encoder", "--output", str(onnx_path))

    assert not onnx_path.parent.exists() or not any(onnx_path.parent.iterdir())
