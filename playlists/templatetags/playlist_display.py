"""A playlist's pattern cover in lists (the page itself gets it in its context)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from playlists.models import Playlist
from playlists.page_context import playlist_cover

register = template.Library()


@register.filter
def cover_pattern(playlist: Playlist) -> SafeString:
    # Numbers only (hues, radii): nothing the listener typed reaches the markup.
    return mark_safe(playlist_cover(playlist, []).pattern_svg)  # noqa: S308
