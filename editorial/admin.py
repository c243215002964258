"""Admin: themes, pins and blocks are created, edited and deleted here through the same services
as the desk's pages (forms validate with the services' checks, saves call the services, which
write the audit log); review items, editorial playlists and the audit log are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from config.errors import ApplicationError
from editorial import services
from editorial.models import ArtistBoost, AuditEntry, Block, EditorialPlaylist, ReviewItem, Theme, ThemePin


def _is_curator(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_curator", False))


class DeskAdmin(admin.ModelAdmin):
    """Curators (with admin access) see the desk's models; what they may write is per model."""

    can_add = can_change = can_delete = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_curator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_curator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.can_add and _is_curator(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.can_change and _is_curator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.can_delete and _is_curator(request)


class AuditedDeleteAdmin(DeskAdmin):
    """Deleting goes through the model's audited delete service."""

    can_delete = True

    def audited_delete(self, actor: User, obj: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.audited_delete(_actor(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class ServiceCheckedForm(forms.ModelForm):
    """Runs the service's check in ``clean`` so its message shows on the form."""

    def service_check(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                self.service_check(data)
            except ApplicationError as error:
                raise ValidationError(error.message) from error
        return data


class ThemeForm(ServiceCheckedForm):
    class Meta:
        model = Theme
        fields = ["name", "description", "example_prompts", "is_active"]

    def service_check(self, data: dict[str, Any]) -> None:
        services.theme_check(
            name=data.get("name", ""),
            description=data.get("description", ""),
            example_prompts=data.get("example_prompts") or [],
            theme_id=self.instance.pk,
        )


@admin.register(Theme)
class ThemeAdmin(AuditedDeleteAdmin):
    form = ThemeForm
    can_add = can_change = True
    list_display = ["name", "is_active", "updated_at"]
    search_fields = ["name", "description"]

    def save_model(self, request: HttpRequest, obj: Theme, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "example_prompts": data["example_prompts"],
        }
        if change:
            services.theme_update(actor=_actor(request), theme=obj, is_active=data["is_active"], **fields)
        else:
            obj.pk = services.theme_create(actor=_actor(request), **fields).pk

    def audited_delete(self, actor: User, obj: Theme) -> None:
        services.theme_delete(actor=actor, theme=obj)


class PinForm(ServiceCheckedForm):
    class Meta:
        model = ThemePin
        fields = ["theme", "track", "position", "starts_at", "ends_at"]

    def service_check(self, data: dict[str, Any]) -> None:
        services.pin_check(
            theme=data["theme"],
            track_id=data["track"].pk,
            position=data["position"],
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
        )


@admin.register(ThemePin)
class ThemePinAdmin(AuditedDeleteAdmin):
    form = PinForm
    can_add = True
    list_display = ["theme", "track", "position", "starts_at", "ends_at"]
    list_filter = ["theme"]
    raw_id_fields = ["track"]

    def save_model(self, request: HttpRequest, obj: ThemePin, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        obj.pk = services.pin_create(
            actor=_actor(request),
            theme=data["theme"],
            track_id=data["track"].pk,
            position=data["position"],
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
        ).pk

    def audited_delete(self, actor: User, obj: ThemePin) -> None:
        services.pin_delete(actor=actor, pin=obj)


class BlockForm(ServiceCheckedForm):
    class Meta:
        model = Block
        fields = ["theme", "track", "artist", "reason"]

    def service_check(self, data: dict[str, Any]) -> None:
        services.block_check(
            reason=data.get("reason", ""),
            track_id=data["track"].pk if data.get("track") else None,
            artist_id=data["artist"].pk if data.get("artist") else None,
            theme=data.get("theme"),
        )


@admin.register(Block)
class BlockAdmin(AuditedDeleteAdmin):
    form = BlockForm
    can_add = True
    list_display = ["__str__", "theme", "reason", "created_by", "created_at"]
    list_filter = ["theme"]
    search_fields = ["reason", "track__title", "artist__name"]
    raw_id_fields = ["track", "artist"]

    def save_model(self, request: HttpRequest, obj: Block, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        obj.pk = services.block_create(
            actor=_actor(request),
            reason=data["reason"],
            track_id=data["track"].pk if data.get("track") else None,
            artist_id=data["artist"].pk if data.get("artist") else None,
            theme=data.get("theme"),
        ).pk

    def audited_delete(self, actor: User, obj: Block) -> None:
        services.block_delete(actor=actor, block=obj)


@admin.register(ArtistBoost)
class ArtistBoostAdmin(AuditedDeleteAdmin):
    list_display = ["artist", "theme", "status", "created_at"]
    list_filter = ["theme", "status"]

    def audited_delete(self, actor: User, obj: ArtistBoost) -> None:
        services.boost_delete(actor=actor, boost=obj)


@admin.register(ReviewItem)
class ReviewItemAdmin(DeskAdmin):
    list_display = ["reason", "version", "status", "detail", "created_at"]
    list_filter = ["reason", "status"]


@admin.register(EditorialPlaylist)
class EditorialPlaylistAdmin(DeskAdmin):
    list_display = ["name", "status", "revision", "published_at"]
    list_filter = ["status"]


@admin.register(AuditEntry)
class AuditEntryAdmin(DeskAdmin):
    list_display = ["created_at", "actor_email", "action", "target_type", "target_id", "summary"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_email", "summary", "target_id"]
    date_hierarchy = "created_at"
