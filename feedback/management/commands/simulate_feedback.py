"""Simulated listeners from real playlists: the bandit vs a fixed policy, skip rate per session.

    python manage.py simulate_feedback ../shared/data/spotify-songs-tidytuesday-2020/spotify_songs.csv.gz \\
        --listeners 300 --sessions 40 --plot feedback/docs/simulation-skip-rate.png

See feedback.learning.simulation for the model of a listener. The file is read where it lies.
``--plot`` needs matplotlib, an offline-only dependency: ``pip install -e ".[offline]"`` (the dev
extra includes it); the web app and workers never import it.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feedback.learning import bandit
from feedback.learning.simulation import Catalog, Listener, simulate

FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "tempo")
MIN_PLAYLIST_TRACKS = 20


def read_spotify(path: Path) -> tuple[Catalog, dict[str, list[int]], dict[str, int]]:
    opener = gzip.open if path.suffix == ".gz" else open
    index: dict[str, int] = {}
    features: list[list[float]] = []
    popularity: list[float] = []
    genre_of: list[str] = []
    playlists: dict[str, list[int]] = defaultdict(list)
    playlist_genre: dict[str, str] = {}
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                values = [float(row[name]) for name in FEATURES]
                track_popularity = float(row["track_popularity"]) / 100.0
            except (KeyError, ValueError):
                continue
            track = row["track_id"]
            if track not in index:
                index[track] = len(features)
                values[-1] = min(values[-1], 220.0) / 220.0  # tempo to 0..1
                features.append(values)
                popularity.append(track_popularity)
                genre_of.append(row["playlist_genre"])
            playlists[row["playlist_id"]].append(index[track])
            playlist_genre[row["playlist_id"]] = row["playlist_genre"]
    if not features:
        raise CommandError(f"No tracks with audio features in {path}.")
    genres = sorted(set(genre_of))
    genre_index = {genre: position for position, genre in enumerate(genres)}
    catalog = Catalog(
        features=np.asarray(features),
        popularity=np.asarray(popularity),
        genre=np.array([genre_index[genre] for genre in genre_of]),
    )
    return (
        catalog,
        dict(playlists),
        {playlist: genre_index[genre] for playlist, genre in playlist_genre.items()},
    )


class Command(BaseCommand):
    help = "Simulate listeners from real playlists; compare the bandit's skip rate with a fixed policy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The Spotify songs CSV (optionally .gz).")
        parser.add_argument("--listeners", type=int, default=300)
        parser.add_argument("--sessions", type=int, default=40)
        parser.add_argument("--fixed", default="all", choices=["all", *sorted(bandit.POLICIES)])
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--plot", type=Path, help="Write the skip-rate curves to this PNG.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if options["plot"]:
            # Checked before the simulation runs, so a missing extra costs no minutes of work.
            _pyplot()
        catalog, playlists, genres = read_spotify(path)
        rng = np.random.default_rng(options["seed"])
        eligible = sorted(
            playlist for playlist, rows in playlists.items() if len(set(rows)) >= MIN_PLAYLIST_TRACKS
        )
        picked = rng.choice(len(eligible), size=min(options["listeners"], len(eligible)), replace=False)
        listeners = []
        for position in picked:
            rows = np.array(sorted(set(playlists[eligible[position]])))
            listeners.append(
                Listener(
                    taste=catalog.features[rows].mean(axis=0),
                    popularity=float(catalog.popularity[rows].mean()),
                    genre=genres[eligible[position]],
                )
            )
        sessions = options["sessions"]
        names = sorted(bandit.POLICIES) if options["fixed"] == "all" else [options["fixed"]]
        fixed = {
            name: simulate(
                catalog, listeners, sessions=sessions, adaptive=False, fixed_policy=name, seed=options["seed"]
            )[0]
            for name in names
        }
        adaptive, played = simulate(
            catalog, listeners, sessions=sessions, adaptive=True, seed=options["seed"]
        )
        self.stdout.write(
            f"{len(listeners)} listeners from real playlists, {sessions} sessions of 20 tracks, "
            f"{len(catalog.popularity)} tracks; skip rate per session"
        )
        self.stdout.write(f"{'session':>7} " + " ".join(f"{name:>13}" for name in names) + f" {'bandit':>8}")
        for session in sorted({0, 1, 2, 4, 9, 19, 29, sessions - 1} & set(range(sessions))):
            row = " ".join(f"{fixed[name][session]:>13.3f}" for name in names)
            self.stdout.write(f"{session + 1:>7} {row} {adaptive[session]:>8.3f}")
        tail = max(1, sessions // 4)
        self.stdout.write(f"mean skip rate (all sessions / last {tail}):")
        for name in names:
            change = adaptive[-tail:].mean() / fixed[name][-tail:].mean() - 1
            self.stdout.write(
                f"  fixed {name:<13} {fixed[name].mean():.3f} / {fixed[name][-tail:].mean():.3f}   "
                f"bandit vs it, last {tail}: {change:+.1%}"
            )
        self.stdout.write(f"  bandit              {adaptive.mean():.3f} / {adaptive[-tail:].mean():.3f}")
        total = sum(played.values())
        self.stdout.write(
            "bandit's policy shares: "
            + ", ".join(f"{name} {count / total:.0%}" for name, count in played.items())
        )
        if options["plot"]:
            self._plot(options["plot"], fixed, adaptive, len(listeners))
            self.stdout.write(f"plot written to {options['plot']}")

    def _plot(self, path: Path, fixed: dict[str, np.ndarray], adaptive: np.ndarray, listeners: int) -> None:
        plt = _pyplot()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure, axes = plt.subplots(figsize=(7, 4))
        sessions = np.arange(1, len(adaptive) + 1)
        for name, curve in fixed.items():
            style = "-" if name == bandit.DEFAULT_POLICY else ":"
            axes.plot(sessions, curve, style, label=f"fixed: {name}", alpha=0.8)
        axes.plot(sessions, adaptive, label="Thompson-sampling bandit", color="#c0392b", linewidth=2.5)
        axes.set_xlabel("session")
        axes.set_ylabel("skip rate")
        axes.set_title(f"Simulated listeners ({listeners}, from real Spotify playlists)")
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)


def _pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend; a clear error when the offline extra is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise CommandError(
            '--plot needs matplotlib, part of the offline extra: pip install -e ".[offline]"'
        ) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
