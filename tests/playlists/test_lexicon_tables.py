"""The lexicon's vocabulary tables, read from playlists/engine/data/lexicon.toml (no database)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from playlists.engine import lexicon

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Pinned before the tables moved from code into a data file: what the parser matches against is
# behaviour (the prompt suite is tuned on it), so a change must be deliberate and update this.
PINNED_DIGEST = "3f1c08382536a7b697aaee453622af62125a3bc83fe301afe7ae9fb847ea26a2"


def test_the_lexicon_tables_are_pinned() -> None:
    data = {
        "lexicon": [asdict(entry) for entry in lexicon.LEXICON],
        "arc_phrases": lexicon.ARC_PHRASES,
        "energy_arcs": lexicon.ENERGY_ARCS,
        "antonyms": lexicon.ANTONYMS,
        "binary": sorted(lexicon.BINARY_CHARACTERS),
        "scales": lexicon.FEATURE_SCALES,
        "directions": [[list(key), value] for key, value in lexicon.DIRECTION_RANGES.items()],
        "artist_styles": lexicon.ARTIST_STYLES,
    }
    assert hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest() == PINNED_DIGEST


def test_entries_are_immutable_tuples_with_their_label_first() -> None:
    for entry in lexicon.LEXICON:
        assert isinstance(entry.phrases, tuple) and isinstance(entry.tag_hints, tuple)
        assert entry.phrases[0] == entry.label
        for low, high in entry.ranges.values():
            assert low <= high, entry.label
    assert all(isinstance(phrases, tuple) for phrases in lexicon.ARC_PHRASES.values())
    assert all(isinstance(tags, tuple) for tags in lexicon.ARTIST_STYLES.values())


def test_labels_are_unique() -> None:
    labels = [entry.label for entry in lexicon.LEXICON]
    assert len(labels) == len(set(labels))


def test_module_imports_without_django() -> None:
    code = (
        "import sys, playlists.engine.lexicon; "
        "print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
