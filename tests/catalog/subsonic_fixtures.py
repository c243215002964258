"""Fixtures for the Subsonic tests: a real Supysonic server over generated, tagged audio files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.catalog.library_files import tag, write_audio
from tests.catalog.subsonic_peer import PEER_PASSWORD, PEER_USER, PeerUnavailable, SupysonicPeer, peer_create

# (relative path, title, artist, album, year, genre, seconds, frequency)
SONGS = [
    (
        "Miles Ahead/Blue Room/01 Blue Room.mp3",
        "Blue Room",
        "Miles Ahead",
        "Blue Room",
        "1959",
        "Jazz",
        4,
        220.0,
    ),
    (
        "Miles Ahead/Blue Room/02 Night Walk.mp3",
        "Night Walk",
        "Miles Ahead",
        "Blue Room",
        "1959",
        "Jazz",
        5,
        330.0,
    ),
    ("The Runners/Fast Lane/01 Sprint.mp3", "Sprint", "The Runners", "Fast Lane", "2015", "Rock", 4, 440.0),
]


def music_write(root: Path, songs: list[tuple[str, str, str, str, str, str, int, float]] = SONGS) -> Path:
    for seed, (relative, title, artist, album, year, genre, seconds, frequency) in enumerate(songs):
        path = write_audio(root / relative, seconds=seconds, frequency=frequency, seed=seed)
        tag(path, title=title, artists=[artist], album=album, date=year, genres=[genre], track=1)
    return root


def peer_or_skip(workdir: Path, music: Path) -> SupysonicPeer:
    try:
        return peer_create(workdir, music)
    except PeerUnavailable as exc:
        pytest.skip(f"No Supysonic test peer: {exc}")


@pytest.fixture(scope="session")
def subsonic_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupysonicPeer]:
    """One Supysonic for the session over SONGS (tests that change its folder use ``peer_factory``)."""
    workdir = tmp_path_factory.mktemp("supysonic")
    peer = peer_or_skip(workdir, music_write(workdir / "music"))
    yield peer
    peer.close()


@pytest.fixture
def peer_factory(tmp_path: Path) -> Iterator[Callable[[], SupysonicPeer]]:
    started: list[SupysonicPeer] = []

    def make() -> SupysonicPeer:
        workdir = tmp_path / f"supysonic-{len(started)}"
        workdir.mkdir()
        peer = peer_or_skip(workdir, music_write(workdir / "music"))
        started.append(peer)
        return peer

    yield make
    for peer in started:
        peer.close()


__all__ = ["PEER_PASSWORD", "PEER_USER", "SONGS", "music_write", "peer_factory", "subsonic_peer"]
