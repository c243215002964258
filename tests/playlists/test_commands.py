"""The operator and evaluation commands, on files written here for the fixture catalog."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Track

pytestmark = [pytest.mark.model, pytest.mark.django_db]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_make_playlist_prints_json_with_external_ids(catalog: dict[str, Track]) -> None:
    payload = json.loads(run("make_playlist", "--prompt", "calm jazz without Drake", "--size", "4", "--json"))
    assert len(payload["items"]) == 4
    first = payload["items"][0]
    assert {"source", "source_id", "components", "reasons"} <= set(first)
    assert payload["intent"]["exclude_artists"] == ["Drake"]
    assert "Drake" not in {artist for item in payload["items"] for artist in item["artists"]}


def test_make_playlist_refuses_a_bad_prompt(catalog: dict[str, Track]) -> None:
    with pytest.raises(CommandError, match="empty"):
        run("make_playlist", "--prompt", "  ")


def test_evaluate_prompts(catalog: dict[str, Track], tmp_path: Path) -> None:
    jazz = [track.source_id for title, track in catalog.items() if title.startswith("Blue Night")]
    path = tmp_path / "prompts.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(
            json.dumps({"id": "t0", "prompt": "calm jazz without Drake", "k": 5, "relevant": jazz}) + "\n"
        )
    output = run("evaluate_prompts", str(path), "--source", "test")
    assert "t0  p@5 1.000" in output
    assert "mean precision@k 1.000 over 1 prompts; constraint violations 0" in output


def test_evaluate_continuation(catalog: dict[str, Track], tmp_path: Path) -> None:
    heard = [catalog[f"Street Verse {n}"] for n in range(4)]
    history = [
        {
            "ts": f"2020-01-0{n + 1}T10:00:00Z",
            "ms_played": 200_000,
            "master_metadata_track_name": track.title,
            "master_metadata_album_artist_name": track.artists.get().name,
            "spotify_track_uri": None,
            "reason_end": "trackdone",
            "skipped": False,
        }
        for n, track in enumerate(heard)
    ]
    # A podcast episode: not music, left out without a word.
    history.append({"ts": "2020-01-05T10:00:00Z", "episode_name": "Talk", "spotify_episode_uri": "x"})
    (tmp_path / "listener00.json").write_text(json.dumps(history))
    relevant = [catalog[f"Street Verse {n}"].source_id for n in range(4, 8)]
    line = {
        "id": "c0",
        "prompt": "rap",
        "history": "listener00.json",
        "new_only": True,
        "k": 4,
        "relevant": relevant,
    }
    (tmp_path / "bench.jsonl").write_text(json.dumps(line) + "\n")
    output = run("evaluate_continuation", str(tmp_path))
    assert "matched 4/4 plays" in output
    assert "mean R-precision 1.000" in output


def test_evaluate_continuation_names_a_history_file_it_cannot_read(
    catalog: dict[str, Track], tmp_path: Path
) -> None:
    (tmp_path / "listener00.json").write_text('{"not": "a list"}')
    line = {"id": "c0", "prompt": "rap", "history": "listener00.json", "k": 4, "relevant": []}
    (tmp_path / "bench.jsonl").write_text(json.dumps(line) + "\n")

    with pytest.raises(CommandError, match="listener00.json: not a Spotify streaming history"):
        run("evaluate_continuation", str(tmp_path))
