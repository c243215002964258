"""The Spotify extended-streaming-history parser, on histories written here."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from feedback.importers import HistoryFormatError, parse_history_files, parse_history_stream, parse_play


def play_row(
    track: str, artist: str, *, uri: str = "", ms: int = 200_000, skipped: bool = False, ts: str
) -> dict:
    return {
        "ts": ts,
        "ms_played": ms,
        "master_metadata_track_name": track,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": "Album",
        "spotify_track_uri": uri,
        "reason_end": "fwdbtn" if skipped else "trackdone",
        "skipped": skipped,
    }


ROWS = [
    play_row("Song B", "Artist", uri="spotify:track:BBB", ts="2020-01-02T10:00:00Z"),
    play_row("Song A", "Artist", uri="spotify:track:AAA", ms=5000, skipped=True, ts="2020-01-01T10:00:00Z"),
    # A podcast episode: no track metadata.
    {"ts": "2020-01-03T10:00:00Z", "ms_played": 100, "episode_name": "Talk", "spotify_track_uri": None},
]


def test_parses_rows_and_skips_podcasts(tmp_path: Path) -> None:
    path = tmp_path / "Streaming_History_Audio_2020.json"
    path.write_text(json.dumps(ROWS))
    plays = parse_history_files([path])
    assert [play.track_name for play in plays] == ["Song A", "Song B"]  # oldest first
    first = plays[0]
    assert first.skipped and first.ms_played == 5000 and first.reason_end == "fwdbtn"
    assert first.spotify_track_id == "AAA"
    assert first.ts.year == 2020 and first.ts.tzinfo is not None


def test_reads_a_zip_export_and_ignores_video_files() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "Spotify Extended Streaming History/Streaming_History_Audio_2020.json", json.dumps(ROWS)
        )
        archive.writestr(
            "Spotify Extended Streaming History/Streaming_History_Video_2020.json", json.dumps(ROWS)
        )
        archive.writestr("Spotify Extended Streaming History/ReadMeFirst.pdf", b"%PDF")
    buffer.seek(0)
    assert len(parse_history_stream(buffer, name="export.zip")) == 2


@pytest.mark.parametrize("content", [b"{not json", b'{"a": 1}', b"PK\x03\x04broken"])
def test_malformed_files_raise_a_clear_error(content: bytes) -> None:
    with pytest.raises(HistoryFormatError, match="history.json"):
        parse_history_stream(io.BytesIO(content), name="history.json")


def test_bad_rows_are_skipped_not_fatal() -> None:
    assert parse_play("nonsense") is None
    assert parse_play({"master_metadata_track_name": "X", "master_metadata_album_artist_name": "Y"}) is None
    play = parse_play({**ROWS[0], "ms_played": "oops"})
    assert play is not None and play.ms_played == 0
