"""Reading a music folder without Django: walking, tags per format, covers, damaged files."""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import pytest
from PIL import Image

from catalog.library.tags import (
    COVER_MAX_PIXELS,
    UnreadableFile,
    content_hash,
    read_audio_file,
    tags_from_path,
)
from catalog.library.walk import RootError, walk_audio_files
from tests.catalog.library_files import cover_png, tag, truncate, write_audio

RECORDING = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"
RELEASE = "1dc4c347-a1db-32aa-b14f-bc9cc507b843"
ARTIST_IDS = ["a74b1b7f-71a5-4011-9441-d0b5e4122711", "8bfac288-ccc5-448d-9573-c33ea2aa5c30"]
FORMATS = [".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav", ".aiff"]


def read(path: Path) -> object:
    return read_audio_file(path, path.name)


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_reads_names_artists_ids_isrc_gain_and_cover(tmp_path: Path, suffix: str) -> None:
    path = write_audio(tmp_path / f"song{suffix}", seconds=3.0)
    tag(
        path,
        title="Night Drive",
        artists=["Neon Roads", "Ada Vox"],
        album="After Hours",
        album_artist="Neon Roads",
        track=3,
        disc=1,
        date="2019-05-01",
        genres=["Synthwave", "Electronic"],
        recording_id=RECORDING,
        release_id=RELEASE,
        artist_ids=ARTIST_IDS,
        isrc="GB-ABC-19-00001",
        track_gain="-6.50 dB",
        cover=cover_png(800),
    )

    tags = read_audio_file(path, f"Somewhere/{path.name}")

    assert tags.title == "Night Drive"
    assert tags.artists == ("Neon Roads", "Ada Vox")
    assert tags.album == "After Hours"
    assert tags.album_artist == "Neon Roads"
    assert tags.track_number == 3
    assert tags.disc_number == 1
    assert tags.year == 2019
    assert tags.genres == ("synthwave", "electronic")
    assert tags.musicbrainz_recording_id == uuid.UUID(RECORDING)
    assert tags.musicbrainz_release_id == uuid.UUID(RELEASE)
    assert tags.musicbrainz_artist_ids == tuple(ARTIST_IDS)
    assert tags.isrc == "GBABC1900001"
    assert tags.replaygain_track_gain == pytest.approx(-6.5)
    assert not tags.tagged_from_path
    assert tags.duration_ms is not None and abs(tags.duration_ms - 3000) < 150
    assert tags.sample_rate
    assert tags.cover is not None
    with Image.open(io.BytesIO(tags.cover)) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert max(thumbnail.size) == COVER_MAX_PIXELS


def test_id3_artists_joined_by_a_slash_are_several_artists(tmp_path: Path) -> None:
    path = tag(write_audio(tmp_path / "a.mp3"), title="Duet", artists=["Ann", "Bo"], id3_artist_separator="/")
    assert read(path).artists == ("Ann", "Bo")  # type: ignore[attr-defined]


def test_an_untagged_file_takes_artist_album_and_title_from_its_folders(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "The Dawns" / "First Light" / "07 - Morning Song.flac")

    tags = read_audio_file(path, "The Dawns/First Light/07 - Morning Song.flac")

    assert tags.tagged_from_path
    assert (tags.artists, tags.album, tags.title, tags.track_number) == (
        ("The Dawns",),
        "First Light",
        "Morning Song",
        7,
    )


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("Artist/Album/01 - Title.mp3", ("Title", ("Artist",), "Album", 1)),
        ("Artist/Album/1-02 Title.mp3", ("Title", ("Artist",), "Album", 2)),
        ("Artist - Title.mp3", ("Title", ("Artist",), "", None)),
        ("Title.mp3", ("Title", ("Unknown artist",), "", None)),
    ],
)
def test_names_from_paths(relative: str, expected: tuple[object, ...]) -> None:
    names = tags_from_path(relative)
    assert (names.title, names.artists, names.album, names.track_number) == expected


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".wav"])
def test_a_truncated_file_is_reported_with_a_reason(tmp_path: Path, suffix: str) -> None:
    path = truncate(write_audio(tmp_path / f"cut{suffix}", seconds=4.0))
    with pytest.raises(UnreadableFile, match="truncated|damaged|no audio"):
        read(path)


def test_a_text_file_named_mp3_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("these are not the songs you are looking for\n" * 20)
    with pytest.raises(UnreadableFile, match="not audio|not a recognised"):
        read(path)


def test_an_empty_file_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "empty.flac"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile):
        read(path)


def test_content_hash_follows_content_not_name(tmp_path: Path) -> None:
    first = write_audio(tmp_path / "a.flac", seed=1)
    same = tmp_path / "elsewhere" / "b.flac"
    same.parent.mkdir()
    same.write_bytes(first.read_bytes())
    other = write_audio(tmp_path / "c.flac", seed=2)
    assert content_hash(first) == content_hash(same) != content_hash(other)


# --- walking -------------------------------------------------------------------------------------


def make_tree(root: Path, paths: list[str]) -> None:
    for relative in paths:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x")


def test_walk_yields_audio_files_in_path_order_and_resumes_after_a_path(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        ["b/2.mp3", "a/x.flac", "a b.mp3", "a.mp3", "a/sub/y.ogg", "cover.jpg", "notes.txt", "Z.WAV"]
        + ["ab.opus"],
    )
    paths = [found.path for found in walk_audio_files(tmp_path)]
    assert paths == ["Z.WAV", "a b.mp3", "a.mp3", "a/sub/y.ogg", "a/x.flac", "ab.opus", "b/2.mp3"]
    assert paths == sorted(paths)
    for index, path in enumerate(paths):
        assert [found.path for found in walk_audio_files(tmp_path, after=path)] == paths[index + 1 :]


def test_walk_does_not_follow_a_symlink_that_leaves_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "music", tmp_path / "secret"
    make_tree(root, ["in/song.mp3"])
    make_tree(outside, ["leak.mp3"])
    os.symlink(outside, root / "escape")
    os.symlink(outside / "leak.mp3", root / "leak.mp3")
    os.symlink(root / "in", root / "same-inside")  # inside: followed, but the folder is walked once
    os.symlink(root, root / "in" / "loop")  # a loop back to the root

    paths = [found.path for found in walk_audio_files(root)]

    assert paths == ["in/song.mp3"]


def test_walk_refuses_a_missing_root(tmp_path: Path) -> None:
    with pytest.raises(RootError, match="does not exist"):
        list(walk_audio_files(tmp_path / "nowhere"))
