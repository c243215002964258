"""Onboarding taste seeds: the few genres and artists a new listener picks after the consents.

They seed the taste of a listener with no history yet (the playlists engine reads them), so they
live with the rest of the listener's taste, above the catalog they point into.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count

from accounts.models import User
from catalog.models import Artist, Tag, TagKind
from config.errors import ApplicationError
from feedback.models import TasteSeed

MAX_TASTE_SEEDS = 20


@dataclass(frozen=True)
class TasteSeeds:
    tags: list[Tag]
    artists: list[Artist]


def taste_seeds_for_user(*, user: Any) -> TasteSeeds:
    """The genres and artists a listener picked at onboarding (the playlists engine seeds from them).

    Callers must check ``consent_allows(user, PERSONALIZATION)`` first: seeds are personal taste.
    """
    if not getattr(user, "is_authenticated", False):
        return TasteSeeds(tags=[], artists=[])
    seeds = list(TasteSeed.objects.filter(user=user).select_related("tag", "artist"))
    return TasteSeeds(
        tags=[seed.tag for seed in seeds if seed.tag is not None],
        artists=[seed.artist for seed in seeds if seed.artist is not None],
    )


def onboarding_genres(*, limit: int = 30) -> list[Tag]:
    """Genres to offer at onboarding: the catalog's most common ones."""
    return list(
        Tag.objects.filter(kind=TagKind.GENRE)
        .annotate(track_count=Count("tag_tracks"))
        .order_by("-track_count", "name")[:limit]
    )


def onboarding_artists(*, limit: int = 30) -> list[Artist]:
    """Artists to offer at onboarding: those with the most tracks in the catalog."""
    return list(
        Artist.objects.annotate(track_count=Count("artist_tracks")).order_by("-track_count", "name")[:limit]
    )


@transaction.atomic
def taste_seeds_set(*, user: User, tag_ids: Iterable[int], artist_ids: Iterable[int]) -> list[TasteSeed]:
    """Replace the listener's favourite genres and artists (seeds for a new listener's taste)."""
    tag_ids, artist_ids = set(tag_ids), set(artist_ids)
    if len(tag_ids) + len(artist_ids) > MAX_TASTE_SEEDS:
        raise ApplicationError(f"Pick at most {MAX_TASTE_SEEDS} genres and artists in all.")
    tags = list(Tag.objects.filter(pk__in=tag_ids))
    artists = list(Artist.objects.filter(pk__in=artist_ids))
    if len(tags) != len(tag_ids) or len(artists) != len(artist_ids):
        raise ApplicationError("Some of the chosen genres or artists do not exist (any more).")
    TasteSeed.objects.filter(user=user).delete()
    return TasteSeed.objects.bulk_create(
        [TasteSeed(user=user, tag=tag) for tag in tags] + [TasteSeed(user=user, artist=a) for a in artists]
    )
