"""The pure reading layer: formats, columns, row validation (no database)."""

from __future__ import annotations

import gzip
import io

import pytest

from catalog import importing
from catalog.importing import ImportFileError, ImportSpec, MissingColumnsError, read_records

HEADER = "track_id,track_name,track_artist,energy,tempo,playlist_genre\n"


def _read(
    content: bytes, name: str = "tracks.csv", spec: ImportSpec | None = None
) -> list[importing.ParsedRow]:
    spec = spec or ImportSpec(
        file_format=importing.detect_format(name), tag_columns=importing.parse_tag_columns("playlist_genre")
    )
    text = importing.open_text(io.BytesIO(content), name)
    return list(read_records(text, spec))


def test_aliases_find_spotify_columns_without_a_map() -> None:
    rows = _read((HEADER + "a1,Song,Band,0.5,120,rock\n").encode())
    record = rows[0].record
    assert record is not None
    assert (record.source_id, record.title, record.artists) == ("a1", "Song", ["Band"])
    assert record.features["energy"] == 0.5
    assert record.tags == {("genre", "rock")}


def test_bad_rows_are_reported_with_line_number_and_reason() -> None:
    rows = [
        "a1,Fine,Band,0.5,120,rock",
        "a2,Fast,Band,0.5,fast,rock",
        "a3,Loud,Band,7,120,rock",
        "a4,,Band,0.5,120,rock",
    ]
    content = HEADER + "\n".join(rows) + "\n"
    rows = _read(content.encode())
    errors = {row.line_number: row.error for row in rows if row.error}
    assert errors == {
        3: "tempo 'fast' is not a number",
        4: "energy 7 is outside 0..1",
        5: "empty title",
    }


def test_missing_required_columns_are_named_with_exit_code_2() -> None:
    with pytest.raises(MissingColumnsError) as error:
        _read(b"id,name\n1,x\n", spec=ImportSpec(file_format="csv"))
    assert error.value.exit_code == 2
    assert "artist" in str(error.value)
    assert error.value.missing == ["artist"]


def test_map_to_a_column_that_is_not_there_is_named() -> None:
    spec = ImportSpec(file_format="csv", column_map={"title": "song_title"})
    with pytest.raises(MissingColumnsError, match="song_title"):
        _read((HEADER + "a1,Song,Band,0.5,120,rock\n").encode(), spec=spec)


def test_non_utf8_file_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ImportFileError, match="not valid UTF-8"):
        _read((HEADER + "a1,Caf\xe9,Band,0.5,120,rock\n").encode("latin-1"))


def test_empty_file_and_header_only_file_are_refused() -> None:
    with pytest.raises(ImportFileError, match="empty"):
        _read(b"")
    with pytest.raises(ImportFileError, match="no rows"):
        _read(HEADER.encode())


def test_unknown_format_and_unknown_map_field_are_refused() -> None:
    with pytest.raises(ImportFileError, match="format"):
        importing.detect_format("tracks.xlsx")
    with pytest.raises(ImportFileError, match="Unknown format"):
        importing.detect_format("tracks.csv", "xml")
    with pytest.raises(ImportFileError, match="Unknown field 'colour'"):
        importing.parse_column_map("colour=c")
    with pytest.raises(ImportFileError, match="field=column"):
        importing.parse_column_map("title")


def test_gzipped_jsonl_with_lists_and_bad_lines() -> None:
    lines = [
        '{"source_id": "j1", "title": "One", "artist": ["A", "B"], "tags": ["mood:happy", "pop"], '
        '"release_year": "1999-05-01"}',
        "not json",
        '["a list"]',
        "",
        '{"source_id": "j2", "title": "Two", "artist": "C", "isrc": "US-RC1-76-07839"}',
    ]
    content = gzip.compress("\n".join(lines).encode())
    rows = _read(content, name="tracks.jsonl.gz", spec=ImportSpec(file_format="jsonl"))
    first, bad_json, not_object, second = rows
    assert first.record is not None
    assert first.record.artists == ["A", "B"]
    assert first.record.tags == {("mood", "happy"), ("other", "pop")}
    assert first.record.release_year == 1999
    assert bad_json.line_number == 2 and "invalid JSON" in bad_json.error
    assert not_object.line_number == 3 and "JSON object" in not_object.error
    assert second.line_number == 5 and second.record is not None
    assert second.record.isrc == "USRC17607839"


def test_rows_of_one_track_merge_tags_and_fill_blanks() -> None:
    rows = _read((HEADER + "a1,Song,Band,,120,rock\na1,Song,Band,0.7,120,indie\n").encode())
    first, second = (row.record for row in rows)
    assert first is not None and second is not None
    first.merge(second)
    assert first.tags == {("genre", "rock"), ("genre", "indie")}
    assert first.features["energy"] == 0.7


def test_spotify_source_gets_a_spotify_uri() -> None:
    spec = ImportSpec(file_format="csv", source="spotify")
    rows = _read((HEADER + "6f807x0ima9a1j3VPbc7VN,Song,Band,0.5,120,pop\n").encode(), spec=spec)
    assert rows[0].record is not None
    assert rows[0].record.spotify_uri == "spotify:track:6f807x0ima9a1j3VPbc7VN"


def test_tag_kind_must_be_known() -> None:
    assert importing.parse_tag_columns("genre_col,mood_col:mood") == (
        importing.TagColumn("genre_col", "genre"),
        importing.TagColumn("mood_col", "mood"),
    )
    with pytest.raises(ImportFileError, match="Unknown tag kind"):
        importing.parse_tag_columns("x:colour")
