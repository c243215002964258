"""Reading histories from Spotify, ListenBrainz and Last.fm: plays, row problems, wrong files."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from feedback.history_formats import HistoryFormatError, Play, RowProblem, history_read

SPOTIFY_ROWS = [
    {
        "ts": "2024-03-01T20:15:00Z",
        "ms_played": 215000,
        "master_metadata_track_name": "So What",
        "master_metadata_album_artist_name": "Miles Davis",
        "spotify_track_uri": "spotify:track:4vLYewWIvqHfKtJDk8c8tq",
        "reason_end": "trackdone",
        "skipped": False,
    },
    {"ts": "2024-03-01T20:20:00Z", "episode_name": "A podcast", "spotify_episode_uri": "spotify:episode:x"},
    {"ts": "2024-03-01T20:25:00Z", "ms_played": 1000},
]


def _read(data: bytes, history_format: str, name: str = "file") -> list[Play | RowProblem]:
    return list(history_read(io.BytesIO(data), history_format=history_format, name=name))


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_spotify_plays_are_read_podcasts_left_out_and_broken_rows_reported() -> None:
    parsed = _read(json.dumps(SPOTIFY_ROWS).encode(), "spotify", "Streaming_History_Audio_2024.json")

    play, problem = parsed
    assert isinstance(play, Play)
    assert (play.artist_name, play.track_name, play.spotify_track_id) == (
        "Miles Davis",
        "So What",
        "4vLYewWIvqHfKtJDk8c8tq",
    )
    assert isinstance(problem, RowProblem)
    assert problem.where == "Streaming_History_Audio_2024.json item 3"


def test_spotify_rows_keep_skips_and_times_and_a_bad_count_reads_as_zero() -> None:
    skipped = {**SPOTIFY_ROWS[0], "ms_played": 5000, "skipped": True, "reason_end": "fwdbtn"}
    bad_count = {**SPOTIFY_ROWS[0], "ms_played": "oops"}
    older_export = {"endTime": "2024-03-02 08:00", "trackName": "Roads", "artistName": "Portishead"}

    first, second, third = _read(json.dumps([skipped, bad_count, older_export]).encode(), "spotify")

    assert isinstance(first, Play) and isinstance(second, Play) and isinstance(third, Play)
    assert (first.skipped, first.ms_played, first.reason_end) == (True, 5000, "fwdbtn")
    assert first.ts.tzinfo is not None and first.ts.year == 2024
    assert second.ms_played == 0
    assert (third.artist_name, third.track_name, third.ms_played) == ("Portishead", "Roads", 0)


def test_a_spotify_zip_reads_audio_history_and_ignores_video_and_other_files() -> None:
    data = _zip(
        {
            "Spotify Extended Streaming History/Streaming_History_Audio_2024.json": json.dumps(
                SPOTIFY_ROWS[:1]
            ).encode(),
            "Spotify Extended Streaming History/Streaming_History_Video_2024.json": b"[]",
            "Spotify Extended Streaming History/ReadMeFirst.pdf": b"%PDF",
        }
    )

    assert [type(item) for item in _read(data, "spotify", "export.zip")] == [Play]


@pytest.mark.parametrize(
    ("data", "history_format", "message"),
    [
        (b'{"not": "a list"}', "spotify", "not a Spotify streaming history"),
        (b"artist,album\n", "lastfm", "not a Last.fm scrobbles CSV"),
        (b"<html>", "listenbrainz", "not ListenBrainz JSON lines"),
        (b"\xff\xfe\x00bad", "lastfm", "not UTF-8"),
        (b"", "lastfm", "empty"),
        (b"PK\x03\x04garbage", "spotify", "not a readable ZIP"),
    ],
)
def test_a_file_of_the_wrong_format_is_refused_with_its_name(
    data: bytes, history_format: str, message: str
) -> None:
    with pytest.raises(HistoryFormatError, match=message):
        _read(data, history_format, "upload.bin")


def test_a_zip_without_history_files_is_refused() -> None:
    with pytest.raises(HistoryFormatError, match="holds no listenbrainz history files"):
        _read(_zip({"photos/cat.jpg": b"jpeg"}), "listenbrainz", "export.zip")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(HistoryFormatError, match="Unknown history format"):
        _read(b"[]", "napster")


def test_listenbrainz_lines_carry_ids_and_bad_lines_are_reported_by_number() -> None:
    listen = {
        "listened_at": 1709323200,
        "track_metadata": {
            "artist_name": "Nina Simone",
            "track_name": "Feeling Good",
            "release_name": "I Put a Spell on You",
            "additional_info": {
                "spotify_id": "https://open.spotify.com/track/abc123?si=x",
                "isrc": "USMC16548601",
            },
            "mbid_mapping": {"recording_mbid": "0b2f6b7e-0000-4000-8000-000000000001"},
        },
    }
    lines = [
        json.dumps(listen),
        "{broken",
        json.dumps({"listened_at": "soon", "track_metadata": listen["track_metadata"]}),
    ]

    first, broken, no_time = _read("\n".join(lines).encode(), "listenbrainz", "listens.jsonl")

    assert isinstance(first, Play)
    assert first.spotify_track_uri == "spotify:track:abc123"
    assert first.isrc == "USMC16548601"
    assert first.musicbrainz_recording_id == "0b2f6b7e-0000-4000-8000-000000000001"
    assert first.ts.isoformat() == "2024-03-01T20:00:00+00:00"
    assert broken == RowProblem(
        "listens.jsonl line 2", "not JSON (Expecting property name enclosed in double quotes)"
    )
    assert no_time == RowProblem("listens.jsonl line 3", "no valid listened_at")


def test_lastfm_csv_with_or_without_a_header() -> None:
    with_header = (
        "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
        "1709323200,,Portishead,,Dummy,,Roads,\n"
        ",,,,,,,\n"
    )
    without_header = "Portishead,Dummy,Roads,01 Mar 2024 20:00\nNobody,,,\n"

    (play,) = _read(with_header.encode(), "lastfm")
    headerless = _read(without_header.encode(), "lastfm", "scrobbles.csv")

    assert (play.artist_name, play.track_name, play.album_name) == ("Portishead", "Roads", "Dummy")  # type: ignore[union-attr]
    assert headerless[0] == Play(
        ts=play.ts, ms_played=0, track_name="Roads", artist_name="Portishead", album_name="Dummy"
    )  # type: ignore[union-attr]
    assert headerless[1] == RowProblem("scrobbles.csv line 2", "no artist or track")


def test_a_large_spotify_file_is_read_as_a_stream() -> None:
    """ijson reads item by item: the parser yields before the whole file is read."""
    row = json.dumps(SPOTIFY_ROWS[0]).encode()
    body = b"[" + b",".join([row] * 20000) + b"]"
    handle = io.BytesIO(body)

    first = next(history_read(handle, history_format="spotify", name="big.json"))

    assert isinstance(first, Play)
    assert handle.tell() < len(body) // 4
