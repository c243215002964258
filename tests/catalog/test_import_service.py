"""Importing into the real database: upserts, merges, skips, strict refusal, documents."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog import importing, services
from catalog.importing import ImportSpec
from catalog.models import Artist, Tag, Track

pytestmark = pytest.mark.django_db

HEADER = "id,title,artist,album,year,energy,valence,tempo,genre,subgenre\n"
ROWS = [
    "s1,Blue Train,John Coltrane,Blue Train,1957,0.45,0.6,140,jazz,hard bop\n",
    "s2,So What,Miles Davis;Bill Evans,Kind of Blue,1959,0.3,0.4,136,jazz,modal\n",
    "s1,Blue Train,John Coltrane,Blue Train,1957,0.45,0.6,140,jazz,bebop\n",
]
SPEC = ImportSpec(file_format="csv", tag_columns=importing.parse_tag_columns("genre,subgenre"), source="test")


def _import(content: str, *, strict: bool = False, batch_size: int = 1000, spec: ImportSpec = SPEC):
    data = content.encode()
    return services.catalog_import_stream(
        binary=io.BytesIO(data),
        name="t.csv",
        bytes_total=len(data),
        spec=spec,
        strict=strict,
        batch_size=batch_size,
    )


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_rows_of_one_track_merge_across_and_within_batches(batch_size: int) -> None:
    summary = _import(HEADER + "".join(ROWS), batch_size=batch_size)
    assert (summary.rows_read, summary.tracks_created, summary.rows_merged, summary.rows_skipped) == (
        3,
        2,
        1,
        0,
    )
    blue_train = Track.objects.get(source="test", source_id="s1")
    assert set(blue_train.tags.values_list("name", flat=True)) == {"jazz", "hard bop", "bebop"}
    so_what = Track.objects.get(source_id="s2")
    assert [a.artist.name for a in so_what.track_artists.select_related("artist")] == [
        "Miles Davis",
        "Bill Evans",
    ]
    assert "genres and tags: bebop, hard bop, jazz" in blue_train.document
    assert blue_train.embedding is None


def test_reimport_is_idempotent() -> None:
    _import(HEADER + "".join(ROWS))
    counts = (Track.objects.count(), Artist.objects.count(), Tag.objects.count())
    documents = dict(Track.objects.values_list("source_id", "document"))

    summary = _import(HEADER + "".join(ROWS))

    assert (summary.tracks_created, summary.tracks_updated, summary.documents_changed) == (0, 2, 0)
    assert (Track.objects.count(), Artist.objects.count(), Tag.objects.count()) == counts
    assert dict(Track.objects.values_list("source_id", "document")) == documents


def test_changed_row_updates_fields_and_clears_embedding() -> None:
    _import(HEADER + ROWS[0])
    Track.objects.update(embedding=[0.1] * 384)
    _import(HEADER + ROWS[0].replace("Blue Train,John", "Blue Train (Remaster),John"))
    track = Track.objects.get(source_id="s1")
    assert track.title == "Blue Train (Remaster)"
    assert track.embedding is None


def test_bad_rows_are_skipped_and_reported_by_line() -> None:
    content = (
        HEADER + ROWS[0] + "s3,Bad Tempo,X,,2000,0.5,0.5,fast,rock,\n" + "s4,,X,,2000,0.5,0.5,120,rock,\n"
    )
    summary = _import(content)
    assert summary.tracks_created == 1
    assert [(row.line_number, row.reason) for row in summary.skipped] == [
        (3, "tempo 'fast' is not a number"),
        (4, "empty title"),
    ]
    assert not Track.objects.filter(source_id__in=["s3", "s4"]).exists()


def test_strict_import_with_a_bad_row_writes_nothing() -> None:
    content = HEADER + "".join(ROWS) + "s9,Loud,X,,2000,7,0.5,120,rock,\n"
    with pytest.raises(services.ImportRefused, match="line 5: energy 7 is outside 0..1"):
        _import(content, strict=True, batch_size=1)
    assert not Track.objects.exists()
    assert not Artist.objects.exists()


def test_artists_match_case_insensitively() -> None:
    _import(HEADER + ROWS[0] + "s5,Naima,john coltrane,Giant Steps,1960,0.2,0.3,90,jazz,\n")
    assert Artist.objects.count() == 1


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_command_imports_and_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "tracks.csv", (HEADER + "".join(ROWS)).encode())
    call_command(
        "import_catalog", str(path), "--source", "test", "--tags-from", "genre,subgenre", "--no-embed"
    )
    out = capsys.readouterr().out
    assert "2 tracks created, 0 updated, 1 rows merged" in out
    assert Track.objects.count() == 2


def test_command_missing_columns_exits_2_naming_them(tmp_path: Path) -> None:
    path = _write(tmp_path, "tracks.csv", b"id,name\n1,x\n")
    with pytest.raises(CommandError, match="Missing required column\\(s\\): artist") as error:
        call_command("import_catalog", str(path))
    assert error.value.returncode == 2


def test_command_strict_refusal_exits_non_zero(tmp_path: Path) -> None:
    path = _write(tmp_path, "tracks.csv", (HEADER + "s1,,X,,2000,0.5,0.5,120,rock,\n").encode())
    with pytest.raises(CommandError, match="line 2: empty title") as error:
        call_command("import_catalog", str(path), "--strict")
    assert error.value.returncode == 3
    assert not Track.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tracks.csv", b"", "empty"),
        ("tracks.csv", (HEADER + "s1,Caf\xe9,X,,2000,0.5,0.5,120,rock,\n").encode("latin-1"), "UTF-8"),
        ("tracks.parquet", b"PAR1", "Cannot tell the format"),
        ("missing.csv", None, "No such file"),
    ],
)
def test_command_refuses_bad_files_clearly(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name if content is None else _write(tmp_path, name, content)
    with pytest.raises(CommandError, match=message):
        call_command("import_catalog", str(path))
    assert not Track.objects.exists()


def test_non_utf8_detected_late_leaves_earlier_batches_only_in_non_strict_mode(tmp_path: Path) -> None:
    good = "".join(f"g{i},Song {i},X,,2000,0.5,0.5,120,rock,\n" for i in range(5))
    path = _write(
        tmp_path, "tracks.csv", (HEADER + good).encode() + "bad,Caf\xe9,X,,,,,,,\n".encode("latin-1")
    )
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_catalog", str(path), "--strict")
    assert not Track.objects.exists()
