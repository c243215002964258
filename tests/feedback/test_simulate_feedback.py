"""simulate_feedback: the offline simulation command, and its plot as an optional (offline) extra."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

COLUMNS = (
    "track_id", "track_popularity", "playlist_id", "playlist_genre", "danceability", "energy", "valence",
    "acousticness", "instrumentalness", "speechiness", "tempo",
)  # fmt: skip
GENRES = ("pop", "rock", "rap")


def _write_playlists(path: Path, *, playlists: int = 6, tracks: int = 24) -> None:
    """Made-up rows with the Spotify set's columns (the real data never enters the tests)."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for playlist in range(playlists):
            genre = GENRES[playlist % len(GENRES)]
            for position in range(tracks):
                i = playlist * tracks + position
                writer.writerow(
                    {
                        "track_id": f"trk{i:05d}",
                        "track_popularity": i % 100,
                        "playlist_id": f"pl{playlist}",
                        "playlist_genre": genre,
                        "danceability": round((i % 7) / 7, 3),
                        "energy": round((playlist % 3) / 3 + (i % 10) / 40, 3),
                        "valence": round((i % 9) / 9, 3),
                        "acousticness": round((i % 5) / 5, 3),
                        "instrumentalness": 0.0,
                        "speechiness": 0.05 + 0.1 * (genre == "rap"),
                        "tempo": 80 + i % 90,
                    }
                )


def test_simulation_writes_its_plot_as_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "songs.csv"
    _write_playlists(data)
    plot = tmp_path / "plots" / "skip-rate.png"

    call_command("simulate_feedback", str(data), listeners=5, sessions=3, seed=1, plot=plot)

    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    output = capsys.readouterr().out
    assert "5 listeners from real playlists" in output
    assert f"plot written to {plot}" in output


def test_plot_without_the_offline_extra_fails_clearly_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "songs.csv"
    _write_playlists(data)
    # What an install without the offline extra looks like to `import matplotlib`.
    monkeypatch.setitem(sys.modules, "matplotlib", None)

    with pytest.raises(CommandError, match=r"pip install -e \"\.\[offline\]\""):
        call_command("simulate_feedback", str(data), listeners=5, sessions=3, plot=tmp_path / "skip.png")
    assert not (tmp_path / "skip.png").exists()


def test_the_request_path_never_imports_matplotlib() -> None:
    code = (
        "import django, sys; django.setup(); "
        "import config.urls, config.celery; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
