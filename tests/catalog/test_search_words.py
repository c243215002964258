"""Catalog search by words (any order, any case, accents ignored) and popularity order with
unknowns last, through the real PostgreSQL (pg_trgm + unaccent, migration 0005)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Artist, Track
from catalog.search_text import FoldedWordMatch, fold, query_words
from catalog.selectors import track_list
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db

BROWSE = reverse("catalog:browse")


def titles(tracks: object) -> list[str]:
    return [track.title for track in tracks]  # type: ignore[attr-defined]


def test_words_match_in_any_order() -> None:
    TrackFactory(title="Rain on Paper Lanterns", artists=["Kaito"])
    TrackFactory(title="Paper Planes", artists=["Someone"])

    assert titles(track_list(text="paper lanterns rain")) == ["Rain on Paper Lanterns"]


def test_words_may_come_from_title_album_and_artist_together() -> None:
    TrackFactory(title="Blue Hour", album="Night Harbour", artists=["Léa Fontaine"])
    TrackFactory(title="Blue Hour", album="Daylight", artists=["Other Band"])

    found = track_list(text="harbour fontaine blue")

    assert [(track.title, track.album) for track in found] == [("Blue Hour", "Night Harbour")]


def test_search_ignores_accents_and_case_both_ways() -> None:
    TrackFactory(title="Café Society", artists=["Beyoncé"])

    assert titles(track_list(text="CAFE beyonce")) == ["Café Society"]
    assert titles(track_list(text="café BEYONCÉ")) == ["Café Society"]


def test_a_word_found_nowhere_finds_nothing() -> None:
    TrackFactory(title="Rain on Paper Lanterns")

    assert titles(track_list(text="paper lanterns snow")) == []


def test_a_track_with_two_matching_artists_is_listed_once() -> None:
    TrackFactory(title="Duet", artists=["Anna Rain", "Bo Rain"])

    assert titles(track_list(text="rain")) == ["Duet"]


def test_a_word_matches_the_start_of_a_word() -> None:
    TrackFactory(title="Other", artists=["The Harbourmasters"])
    TrackFactory(title="Arbour Day")

    assert titles(track_list(text="HARB")) == ["Other"]


def test_punctuation_and_underscores_separate_words() -> None:
    TrackFactory(title="100% Pure", popularity=60)
    TrackFactory(title="Pure Hits 100", popularity=50)
    TrackFactory(title="Pure Gold", popularity=40)

    assert titles(track_list(text="100% pure")) == ["100% Pure", "Pure Hits 100"]
    assert titles(track_list(text="pure_hits")) == ["Pure Hits 100"]
    assert titles(track_list(text="'&|!:*()")) == ["100% Pure", "Pure Hits 100", "Pure Gold"]


def test_query_words_are_folded_distinct_and_bounded() -> None:
    assert query_words("  Ça  va, ÇA va! ") == ["ca", "va"]
    assert fold("Émile Zoë Straße Œuvre") == "Emile Zoe Strasse OEuvre"
    assert len(query_words(" ".join(f"w{i}" for i in range(30)))) == 8


def test_database_and_python_fold_every_latin_letter_alike() -> None:
    letters = "".join(chr(code) for code in range(0x20, 0x250))
    with connection.cursor() as cursor:
        cursor.execute("SELECT segue_fold(%s)", [letters])
        (folded,) = cursor.fetchone()
    assert folded == fold(letters)


def test_most_popular_first_puts_unknown_popularity_last() -> None:
    TrackFactory(title="Unknown A", popularity=None)
    TrackFactory(title="Quiet", popularity=5)
    TrackFactory(title="Big", popularity=95)
    TrackFactory(title="Unknown B", popularity=None)

    assert titles(track_list()) == ["Big", "Quiet", "Unknown A", "Unknown B"]


@pytest.mark.parametrize(
    ("model", "column", "index"),
    [
        (Track, "title", "catalog_track_title_words"),
        (Track, "album", "catalog_track_album_words"),
        (Artist, "name", "catalog_artist_name_words"),
    ],
)
def test_each_word_match_is_served_by_its_index(model: type[Model], column: str, index: str) -> None:
    """The match's left side is exactly the indexed expression, so the planner can use the index.
    Sequential and plain index scans are switched off to ask it, whatever the table's size and
    statistics: a word index is only reachable through a bitmap scan, and with plain index scans
    allowed a walk of the primary key (which also gives the model's ordering) may look cheaper."""
    TrackFactory.create_batch(3)
    matches = model._default_manager.filter(FoldedWordMatch(column, "lanterns")).order_by().values("pk")
    sql, params = matches.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_browse_page_finds_words_in_any_order(client: Client, owner: User) -> None:
    TrackFactory(title="Rain on Paper Lanterns", popularity=None)
    TrackFactory(title="Lanterns", popularity=None)
    client.force_login(owner)

    response = client.get(BROWSE, {"q": "Lanterns PAPER rain", "mode": "name"})

    assert response.status_code == 200
    assert titles(response.context["tracks"]) == ["Rain on Paper Lanterns"]
    assert "Rain on Paper Lanterns" in response.content.decode()
