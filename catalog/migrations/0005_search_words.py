"""Search by words: an IMMUTABLE accent-folding function and full-text GIN indexes on it.

The embedded PostgreSQL has no contrib extensions (no unaccent, no pg_trgm), so folding is
plain translate()/replace(), which are IMMUTABLE and may appear in an index.
"""

from django.db import migrations

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
LIGATURES = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH"}


def _fold_function() -> str:
    body = f"translate(value, '{ACCENTED}', '{PLAIN}')"
    for letter, plain in LIGATURES.items():
        body = f"replace({body}, '{letter}', '{plain}')"
    return (
        "CREATE OR REPLACE FUNCTION segue_fold(value text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT {body} $$;"
    )


INDEXES = [
    ("catalog_track_title_words", "catalog_track", "title"),
    ("catalog_track_album_words", "catalog_track", "album"),
    ("catalog_artist_name_words", "catalog_artist", "name"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_subsonic_sources"),
    ]

    operations = [
        migrations.RunSQL(_fold_function(), "DROP FUNCTION IF EXISTS segue_fold(text);"),
        *(
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin (to_tsvector('simple'::regconfig, segue_fold({column})));",
                f"DROP INDEX IF EXISTS {name};",
            )
            for name, table, column in INDEXES
        ),
    ]
