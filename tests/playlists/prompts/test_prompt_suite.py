"""Generalization of the prompt parser, measured on prompts written for it (see README.md here).

The held-out quarter (``heldout.jsonl``, chosen by sha256 of the prompt text) is never tuned on:
its accuracy is reported beside the tuned part's and only checked against a floor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.embeddings import encode_documents
from playlists.engine.parse import parse_prompt
from playlists.engine.vocabulary import CatalogVocabulary, vocabulary_build
from playlists.evaluation import intent_field_checks

pytestmark = pytest.mark.model

HERE = Path(__file__).parent
TUNED_MIN_ACCURACY = 0.95
HELDOUT_MIN_ACCURACY = 0.85


def read_rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def is_heldout(prompt: str) -> bool:
    return int(hashlib.sha256(prompt.encode("utf-8")).hexdigest(), 16) % 4 == 0


@pytest.fixture(scope="module")
def vocabulary() -> CatalogVocabulary:
    catalog = json.loads((HERE / "catalog.json").read_text())
    tags: dict[str, int] = catalog["tags"]
    pairs = {
        (child, parent): tags[child] for parent, children in catalog["children"].items() for child in children
    }
    artists = {name.lower(): name for name in catalog["artists"]}
    return vocabulary_build(
        tag_counts=tags,
        pair_counts=pairs,
        encoder=encode_documents,
        artist_lookup=lambda text: artists.get(text.lower()),
    )


def field_results(
    rows: list[dict[str, Any]], vocabulary: CatalogVocabulary
) -> Iterator[tuple[str, str, bool]]:
    for row in rows:
        intent = parse_prompt(row["prompt"], vocabulary=vocabulary, require_understood=False)
        for field, right in intent_field_checks(intent, row["expect"]):
            yield row["prompt"], field, right


def accuracy(results: list[tuple[str, str, bool]]) -> float:
    return sum(right for _, _, right in results) / len(results)


def test_the_split_follows_the_hash() -> None:
    assert all(not is_heldout(row["prompt"]) for row in read_rows("tuned"))
    assert all(is_heldout(row["prompt"]) for row in read_rows("heldout"))
    assert len(read_rows("tuned")) + len(read_rows("heldout")) >= 400


def test_field_accuracy_tuned_and_heldout(
    vocabulary: CatalogVocabulary, capsys: pytest.CaptureFixture[str]
) -> None:
    tuned = list(field_results(read_rows("tuned"), vocabulary))
    heldout = list(field_results(read_rows("heldout"), vocabulary))
    with capsys.disabled():
        print(
            f"\nprompt suite field accuracy: tuned {accuracy(tuned):.3f} ({len(tuned)} fields), "
            f"held-out {accuracy(heldout):.3f} ({len(heldout)} fields)"
        )
    wrong = [f"{prompt!r}: {field}" for prompt, field, right in tuned if not right]
    assert accuracy(tuned) >= TUNED_MIN_ACCURACY, "\n".join(wrong)
    assert accuracy(heldout) >= HELDOUT_MIN_ACCURACY
