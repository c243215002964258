"""Catalog search by words: every word of the query must start a word of the track's title,
album or one of its artists' names, in any order, ignoring case and accents ("paper lanterns
rain" finds "Rain on Paper Lanterns"; "beyonce" finds "Beyoncé"; "harb" finds "Harbour").

PostgreSQL full-text search with the ``simple`` configuration (no stemming, no stop words) over
``segue_fold(text)``: the text with accented Latin letters replaced by plain ones (an IMMUTABLE
SQL function made by catalog migration 0005, so GIN indexes on the folded title, album and
artist name serve each word). Folding is ours rather than the ``unaccent`` extension's because
the embedded PostgreSQL ships without contrib extensions (no unaccent, no pg_trgm).
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import BooleanField, F, Func, QuerySet, Value

from catalog.models import Track, TrackArtist

# Letter by letter, as in the migration's segue_fold (a test checks both agree on every letter).
ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆ"
    "ćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐő"
    "ŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚ"
    "ǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮ"
    "ȯȰȱȲȳØøĐđŁłıÐðĦħŦŧ"
)
PLAIN = (
    "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaC"
    "cCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOo"
    "RrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzsOoUuAaIiOoUuUuUuUu"
    "UuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoO"
    "oOoYyOoDdLliDdHhTt"
)
# Letters that fold to two.
LIGATURES = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH"}
_FOLD_TABLE: dict[int, str] = {ord(accented): plain for accented, plain in zip(ACCENTED, PLAIN, strict=True)}
_FOLD_TABLE.update({ord(letter): plain for letter, plain in LIGATURES.items()})

# Words beyond this many add cost, not precision.
MAX_WORDS = 8
# What PostgreSQL's text-search parser keeps inside one word (no underscore: it splits there).
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """The Python side of ``segue_fold``: accented Latin letters replaced by plain ones."""
    return text.translate(_FOLD_TABLE)


def query_words(text: str) -> list[str]:
    """The distinct words of a query, folded and lower-cased, in first order (at most ``MAX_WORDS``)."""
    words: list[str] = []
    for word in _WORD.findall(fold(text).lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


class FoldedWordMatch(Func):
    """``to_tsvector('simple', segue_fold(column)) @@ to_tsquery('simple', 'word:*')``: the
    column has a word starting with ``word``. The left side is exactly the indexed expression."""

    output_field = BooleanField()

    def __init__(self, column: str, word: str) -> None:
        super().__init__(F(column), Value(f"{word}:*"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        column, prefix_query = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        query_sql, query_params = compiler.compile(prefix_query)
        sql = (
            f"to_tsvector('simple'::regconfig, segue_fold({column_sql})) "
            f"@@ to_tsquery('simple'::regconfig, {query_sql})"
        )
        return sql, (*column_params, *query_params)


def tracks_matching_words(queryset: QuerySet[Track], text: str) -> QuerySet[Track]:
    """``queryset`` narrowed to tracks where every word of ``text`` starts a word of the title,
    the album or an artist's name (each word may come from a different one).

    Per word, a UNION of three id sets, each read from its own GIN index (an OR with a
    correlated artist subquery would scan every track instead).
    """
    for word in query_words(text):
        by_title = Track.objects.filter(FoldedWordMatch("title", word)).values("pk")
        by_album = Track.objects.filter(FoldedWordMatch("album", word)).values("pk")
        by_artist = TrackArtist.objects.filter(FoldedWordMatch("artist__name", word)).values("track_id")
        queryset = queryset.filter(pk__in=by_title.union(by_album, by_artist))
    return queryset
