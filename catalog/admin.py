"""Admin for staff: fix a track's metadata (fields, artist credits, tags), artists' and tags'
names. Every save is recorded in the audit log (``catalog.metadata_edits``) and refreshes the
affected tracks' embedding documents. Tracks come from imports and libraries, so they are not
added or deleted here; nothing is deleted here (playlists and history refer to these rows)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Field, Model, QuerySet, URLField
from django.http import HttpRequest

from accounts.models import User
from catalog import metadata_edits
from catalog.models import Artist, Tag, Track, TrackArtist, TrackTag

# Set on the object when the change form loads it: the state an edit is compared against.
_BEFORE = "_metadata_before_edit"


def _is_staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_staff", False) and request.user.is_active)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class StaffAdmin(admin.ModelAdmin):
    """Staff may view and change; adding is per model; nothing is deleted."""

    can_add = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.can_add and _is_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def snapshot(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            setattr(obj, _BEFORE, self.snapshot(obj))
        return obj


class StaffInline(admin.TabularInline):
    """Staff add, change and remove a track's credits and tags (the link, not the artist or tag)."""

    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)


class TrackArtistInline(StaffInline):
    model = TrackArtist
    fields = ("artist", "position")
    autocomplete_fields = ("artist",)
    ordering = ("position", "pk")
    verbose_name = "artist credit"


class TrackTagInline(StaffInline):
    model = TrackTag
    fields = ("tag",)
    autocomplete_fields = ("tag",)
    ordering = ("pk",)
    verbose_name = "tag"


@admin.register(Track)
class TrackAdmin(StaffAdmin):
    list_display = ("title", "artist_names", "album", "release_year", "popularity", "source")
    list_filter = ("source", "explicit")
    search_fields = ("title", "album", "track_artists__artist__name", "isrc")
    fieldsets = (
        (None, {"fields": ("title", "album", "release_year", "duration_ms", "popularity", "explicit")}),
        (
            "Identifiers and links",
            {"fields": ("isrc", "musicbrainz_recording_id", "spotify_uri", "audio_url")},
        ),
        ("Where it came from", {"fields": ("source", "source_id", "created_at", "updated_at")}),
    )
    readonly_fields = ("source", "source_id", "created_at", "updated_at")
    inlines = (TrackArtistInline, TrackTagInline)
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Track]:
        return (
            super()
            .get_queryset(request)
            .defer("embedding", "sound_vector", "document")
            .prefetch_related("track_artists__artist")
        )

    @admin.display(description="Artists")
    def artist_names(self, track: Track) -> str:
        credits = sorted(track.track_artists.all(), key=lambda credit: (credit.position, credit.pk))
        return ", ".join(credit.artist.name for credit in credits)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        return metadata_edits.track_snapshot(obj)

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Credits and tags are saved here, after the track: the edit is recorded once all are.
        super().save_related(request, form, formsets, change)
        metadata_edits.track_edit_record(
            actor=_actor(request), track=form.instance, before=getattr(form.instance, _BEFORE, None)
        )


@admin.register(Artist)
class ArtistAdmin(StaffAdmin):
    can_add = True
    list_display = ("name", "created_at")
    search_fields = ("name",)
    fields = ("name",)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        return metadata_edits.artist_snapshot(obj)

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        assert isinstance(obj, Artist)
        metadata_edits.artist_edit_record(
            actor=_actor(request), artist=obj, before=getattr(obj, _BEFORE, None)
        )


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ("name", "kind")

    def clean_name(self) -> str:
        # Tags are stored in lower case (a database constraint); staff may type any case.
        return str(self.cleaned_data["name"]).strip().lower()


@admin.register(Tag)
class TagAdmin(StaffAdmin):
    can_add = True
    form = TagForm
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        return metadata_edits.tag_snapshot(obj)

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        assert isinstance(obj, Tag)
        metadata_edits.tag_edit_record(actor=_actor(request), tag=obj, before=getattr(obj, _BEFORE, None))
