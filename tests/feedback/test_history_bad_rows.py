"""A history row with an unreadable time or a NUL character in a name is skipped with its number;
the rest of the file is read."""

from __future__ import annotations

import io
import json

import pytest

from feedback.history_formats import Play, RowProblem, history_read

LASTFM_HEADER = "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"


def _read(data: bytes, history_format: str, name: str = "file") -> list[Play | RowProblem]:
    return list(history_read(io.BytesIO(data), history_format=history_format, name=name))


@pytest.mark.parametrize("uts", ["²", "9" * 5000, "99999999999999999"])
def test_lastfm_row_with_a_bad_uts_is_skipped_with_its_line(uts: str) -> None:
    csv = LASTFM_HEADER + f"{uts},,Portishead,,Dummy,,Roads,\n1709323200,,Portishead,,Dummy,,Sour Times,\n"

    rows = _read(csv.encode(), "lastfm", "scrobbles.csv")

    assert rows[0] == RowProblem("scrobbles.csv line 2", "no readable date")
    assert isinstance(rows[1], Play) and rows[1].track_name == "Sour Times"


def test_lastfm_row_with_a_nul_in_a_name_is_skipped_with_its_line() -> None:
    csv = (
        LASTFM_HEADER
        + "1709323200,,Porti\x00shead,,Dummy,,Roads,\n1709323200,,Portishead,,Dummy,,Glory Box,\n"
    )

    rows = _read(csv.encode(), "lastfm", "scrobbles.csv")

    assert rows[0] == RowProblem("scrobbles.csv line 2", "a NUL character in a name")
    assert isinstance(rows[1], Play)


def test_spotify_row_with_a_nul_in_a_name_is_skipped_with_its_item_number() -> None:
    good = {"ts": "2024-03-01T20:15:00Z", "master_metadata_track_name": "So What"}
    rows_in = [
        {**good, "master_metadata_album_artist_name": "Miles\u0000Davis"},
        {**good, "master_metadata_album_artist_name": "Miles Davis"},
    ]

    rows = _read(json.dumps(rows_in).encode(), "spotify", "history.json")

    assert rows[0] == RowProblem("history.json item 1", "a NUL character in a name")
    assert isinstance(rows[1], Play)


def test_listenbrainz_line_with_a_nul_in_a_name_is_skipped_with_its_line() -> None:
    listen = {"listened_at": 1709323200, "track_metadata": {"track_name": "Roads\u0000", "artist_name": "P"}}

    (row,) = _read((json.dumps(listen) + "\n").encode(), "listenbrainz", "listens.jsonl")

    assert isinstance(row, RowProblem)
    assert row.where == "listens.jsonl line 1"
    assert "NUL" in row.reason
