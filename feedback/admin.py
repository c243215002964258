"""Read-only views of what the feedback loop stores and learns (writes go through services)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from feedback.models import CFModelRun, ListeningEvent, PolicyStat


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ListeningEvent)
class ListeningEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "user", "kind", "track", "version", "weight")
    list_filter = ("kind", "device")
    list_select_related = ("user", "track")
    raw_id_fields = ("user", "track", "version")


@admin.register(PolicyStat)
class PolicyStatAdmin(ReadOnlyAdmin):
    list_display = ("policy", "user", "successes", "failures", "updated_at")
    list_filter = ("policy",)


@admin.register(CFModelRun)
class CFModelRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "started_at", "finished_at", "users", "items", "interactions", "seconds")
    exclude = ("item_gram",)  # a thousand numbers that tell a reader nothing
