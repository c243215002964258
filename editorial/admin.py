"""Admin: browse and search the desk's data; lift pins and blocks. Creating and editing happen
on the desk's pages (/desk/) and API, whose services validate and write the audit log, so the
admin never writes a curator action without its audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from editorial import services
from editorial.models import ArtistBoost, AuditEntry, Block, EditorialPlaylist, ReviewItem, Theme, ThemePin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedDeleteAdmin(ReadOnlyAdmin):
    """Deleting goes through the model's audited delete service."""

    def audited_delete(self, actor: User, obj: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        user = request.user
        assert isinstance(user, User)
        self.audited_delete(user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Theme)
class ThemeAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_active", "updated_at"]
    search_fields = ["name", "description"]


@admin.register(ThemePin)
class ThemePinAdmin(AuditedDeleteAdmin):
    list_display = ["theme", "track", "position", "starts_at", "ends_at"]
    list_filter = ["theme"]
    raw_id_fields = ["track"]

    def audited_delete(self, actor: User, obj: ThemePin) -> None:
        services.pin_delete(actor=actor, pin=obj)


@admin.register(Block)
class BlockAdmin(AuditedDeleteAdmin):
    list_display = ["__str__", "theme", "reason", "created_by", "created_at"]
    list_filter = ["theme"]
    search_fields = ["reason", "track__title", "artist__name"]

    def audited_delete(self, actor: User, obj: Block) -> None:
        services.block_delete(actor=actor, block=obj)


@admin.register(ArtistBoost)
class ArtistBoostAdmin(AuditedDeleteAdmin):
    list_display = ["artist", "theme", "status", "created_at"]
    list_filter = ["theme", "status"]

    def audited_delete(self, actor: User, obj: ArtistBoost) -> None:
        services.boost_delete(actor=actor, boost=obj)


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ["reason", "version", "status", "detail", "created_at"]
    list_filter = ["reason", "status"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EditorialPlaylist)
class EditorialPlaylistAdmin(ReadOnlyAdmin):
    list_display = ["name", "status", "revision", "published_at"]
    list_filter = ["status"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_email", "action", "target_type", "target_id", "summary"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_email", "summary", "target_id"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
