"""Forms of the catalog pages; the API validates its query parameters with the same filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog.features import AUDIO_FEATURE_RANGES
from catalog.models import ImportFormat
from catalog.search import SearchFilters

# Features a listener can filter on; the browse page shows sliders for the first five.
FILTER_FEATURES = (
    "energy",
    "valence",
    "danceability",
    "acousticness",
    "tempo",
    "instrumentalness",
    "speechiness",
)
SLIDER_FEATURES = FILTER_FEATURES[:5]
MAX_TAGS = 30
MAX_TAG_LENGTH = 100
YEAR_LIMITS = (1000, 2100)  # the Track.release_year constraint


class SearchMode:
    MEANING = "meaning"
    NAME = "name"
    CHOICES = [(MEANING, "By meaning"), (NAME, "By name")]


class ExplicitChoice:
    ALLOW = "allow"
    EXCLUDE = "exclude"
    CHOICES = [(ALLOW, "Allowed"), (EXCLUDE, "Hidden")]


class TagNamesField(forms.Field):
    """Tag names from a repeated parameter (``tag=rock&tag=pop``) or a comma list (``tag=rock,pop``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        names: list[str] = []
        for raw in values:
            for part in str(raw).split(","):
                name = part.strip().lower()
                if name and name not in names:
                    names.append(name)
        return names

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_TAGS:
            raise ValidationError(f"Choose at most {MAX_TAGS} tags.", code="too_many")
        too_long = [name for name in value if len(name) > MAX_TAG_LENGTH]
        if too_long:
            raise ValidationError(f"Tag names are at most {MAX_TAG_LENGTH} characters.", code="too_long")
        if any("\x00" in name for name in value):
            # PostgreSQL text cannot hold NUL: the query would fail with a server error.
            raise ValidationError("Tag names cannot contain NUL characters.", code="null_characters")


def _feature_bound(feature: str, side: str) -> forms.FloatField:
    low, high = AUDIO_FEATURE_RANGES[feature]
    unit = " (BPM)" if feature == "tempo" else ""
    edge = f"{low:g} means no lower bound" if side == "min" else f"{high:g} means no upper bound"
    return forms.FloatField(
        required=False,
        min_value=low,
        max_value=high,
        label=f"{'Min' if side == 'min' else 'Max'} {feature}{unit}",
        help_text=f"{'Lowest' if side == 'min' else 'Highest'} {feature}{unit}, {low:g} to {high:g}; {edge}.",
    )


class TrackFilterForm(forms.Form):
    """Browse and search filters, read from GET parameters (the page form and the API)."""

    q = forms.CharField(
        required=False,
        max_length=300,
        label="Search",
        help_text="What to look for: a mood or moment (by meaning), or a title, artist or album (by name).",
    )
    mode = forms.ChoiceField(
        required=False,
        choices=SearchMode.CHOICES,
        help_text="'meaning' searches by what the words mean; 'name' matches titles, artists and albums.",
    )
    tag = TagNamesField(
        required=False, label="Any of these tags", help_text="Tracks with at least one of these tags."
    )
    exclude_tag = TagNamesField(
        required=False, label="None of these tags", help_text="Tracks with none of these tags."
    )
    min_energy = _feature_bound("energy", "min")
    max_energy = _feature_bound("energy", "max")
    min_valence = _feature_bound("valence", "min")
    max_valence = _feature_bound("valence", "max")
    min_danceability = _feature_bound("danceability", "min")
    max_danceability = _feature_bound("danceability", "max")
    min_acousticness = _feature_bound("acousticness", "min")
    max_acousticness = _feature_bound("acousticness", "max")
    min_tempo = _feature_bound("tempo", "min")
    max_tempo = _feature_bound("tempo", "max")
    min_instrumentalness = _feature_bound("instrumentalness", "min")
    max_instrumentalness = _feature_bound("instrumentalness", "max")
    min_speechiness = _feature_bound("speechiness", "min")
    max_speechiness = _feature_bound("speechiness", "max")
    year_from = forms.IntegerField(
        required=False,
        min_value=YEAR_LIMITS[0],
        max_value=YEAR_LIMITS[1],
        help_text="Released in or after this year.",
    )
    year_to = forms.IntegerField(
        required=False,
        min_value=YEAR_LIMITS[0],
        max_value=YEAR_LIMITS[1],
        help_text="Released in or before this year.",
    )
    explicit = forms.ChoiceField(
        required=False,
        choices=ExplicitChoice.CHOICES,
        label="Explicit tracks",
        help_text="'exclude' hides tracks marked explicit.",
    )

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or SearchMode.MEANING

    def clean_explicit(self) -> str:
        return self.cleaned_data.get("explicit") or ExplicitChoice.ALLOW

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for feature in FILTER_FEATURES:
            low, high = cleaned.get(f"min_{feature}"), cleaned.get(f"max_{feature}")
            if low is not None and high is not None and low > high:
                self.add_error(f"max_{feature}", f"{high:g} is below the minimum {low:g}.")
        year_from, year_to = cleaned.get("year_from"), cleaned.get("year_to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error("year_to", f"{year_to} is before the start year {year_from}.")
        both = sorted(set(cleaned.get("tag") or ()) & set(cleaned.get("exclude_tag") or ()))
        if both:
            self.add_error("exclude_tag", f"Tags cannot be both included and excluded: {', '.join(both)}.")
        return cleaned

    @property
    def text(self) -> str:
        return self.cleaned_data.get("q", "")

    @property
    def by_meaning(self) -> bool:
        return bool(self.text) and self.cleaned_data.get("mode") == SearchMode.MEANING

    def to_filters(self) -> SearchFilters:
        """The validated filters; call after ``is_valid()``."""
        data = self.cleaned_data
        feature_ranges: dict[str, tuple[float | None, float | None]] = {}
        for feature in FILTER_FEATURES:
            scale_low, scale_high = AUDIO_FEATURE_RANGES[feature]
            low, high = data.get(f"min_{feature}"), data.get(f"max_{feature}")
            # A bound at the edge of the scale is no bound: range sliders always send a value,
            # and filtering on it would also drop every track whose feature is unknown.
            if low is not None and low <= scale_low:
                low = None
            if high is not None and high >= scale_high:
                high = None
            if low is not None or high is not None:
                feature_ranges[feature] = (low, high)
        return SearchFilters(
            tags_any=tuple(data.get("tag") or ()),
            tags_none=tuple(data.get("exclude_tag") or ()),
            feature_ranges=feature_ranges,
            year_range=(data.get("year_from"), data.get("year_to")),
            exclude_explicit=data.get("explicit") == ExplicitChoice.EXCLUDE,
        )


SPOTIFY_COLUMN_MAP = (
    "source_id=track_id,title=track_name,artist=track_artist,album=track_album_name,"
    "release_year=track_album_release_date,popularity=track_popularity"
)
SPOTIFY_TAG_COLUMNS = "playlist_genre:genre,playlist_subgenre:genre"


class CatalogImportForm(forms.Form):
    """An uploaded catalog file and its import options (the service checks the options)."""

    file = forms.FileField(help_text="CSV or JSON lines, optionally gzipped (.csv.gz, .jsonl.gz).")
    source = forms.CharField(
        max_length=50,
        help_text="Where the tracks come from, e.g. spotify, musicbrainz, label-x. "
        "(source, source id) identifies a track, so re-importing updates it.",
    )
    format = forms.ChoiceField(
        required=False,
        choices=[("", "Detect from the file name"), *ImportFormat.choices],
    )
    map = forms.CharField(
        required=False,
        label="Column map",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"field=column pairs, comma-separated, for columns not named like ours. "
        f"Spotify songs dataset: {SPOTIFY_COLUMN_MAP}",
    )
    tags_from = forms.CharField(
        required=False,
        label="Tags from columns",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"column:kind pairs (kind is genre, mood, theme, instrument or other). "
        f"Spotify songs dataset: {SPOTIFY_TAG_COLUMNS}",
    )
    strict = forms.BooleanField(
        required=False,
        help_text="Refuse the whole file if any row is bad: nothing is written, and the bad rows are listed.",
    )


class LibrarySourceForm(forms.Form):
    """Add a music folder; whether it exists and can be read is the service's check."""

    root = forms.CharField(
        label="Music folder",
        max_length=1000,
        help_text="An absolute path on this server, e.g. /srv/music. Sub-folders are scanned too.",
        widget=forms.TextInput(attrs={"placeholder": "/srv/music", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label="Name", max_length=200, required=False, help_text="Optional; the folder's name by default."
    )


class SubsonicSourceForm(forms.Form):
    """Add a Subsonic / OpenSubsonic server (Navidrome, Gonic, Airsonic, Supysonic…)."""

    base_url = forms.URLField(
        label="Server address",
        max_length=500,
        assume_scheme="https",
        help_text="The address you open the server at, e.g. https://music.example.org",
        widget=forms.URLInput(attrs={"placeholder": "https://music.example.org", "autocomplete": "off"}),
    )
    username = forms.CharField(label="User", max_length=200, required=False)
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted. Or leave empty and give an API key.",
    )
    api_key = forms.CharField(
        label="API key (OpenSubsonic)",
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Servers that offer API keys (Navidrome 0.55+): used instead of the password.",
    )
    name = forms.CharField(
        label="Name", max_length=200, required=False, help_text="Optional; the host by default."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the folder form on the same page has a "name" field too.
        kwargs.setdefault("auto_id", "id_subsonic_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("api_key") and not (data.get("username") and data.get("password")):
            raise forms.ValidationError("Give a user and password, or an API key.")
        return data


class SubsonicLinkForm(forms.Form):
    """A listener's own account on a Subsonic source."""

    username = forms.CharField(label="Your user on the server", max_length=200, required=False)
    password = forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; only used to talk to this server.",
    )
    api_key = forms.CharField(
        label="Or an API key (OpenSubsonic)",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("api_key") and not (data.get("username") and data.get("password")):
            raise forms.ValidationError("Give your user and password, or an API key.")
        return data
