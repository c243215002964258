"""The rules the engine gets for a prompt: global blocks always; the closest theme's pins
(inside their date window), blocks and boosted artists when the prompt is close enough."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from catalog.embeddings import encode_documents, encode_query
from editorial.matching import ThemeMatch, best_theme
from editorial.models import ArtistBoost, Block, BoostStatus, Theme, ThemePin
from playlists.composer import EditorialRules, Pin


@lru_cache(maxsize=512)
def _texts_vectors(texts: tuple[str, ...]) -> np.ndarray:
    """Unit vectors of a theme's texts; cached by the texts, so an edited theme is re-encoded."""
    return encode_documents(list(texts))


def theme_match(*, prompt: str) -> ThemeMatch | None:
    themes = list(Theme.objects.filter(is_active=True))
    if not themes:
        return None
    vectors = {theme.pk: _texts_vectors(theme.match_texts()) for theme in themes}
    return best_theme(encode_query(prompt), vectors, threshold=settings.EDITORIAL_THEME_MATCH_THRESHOLD)


def rules_for_theme(*, theme_id: int | None, now: datetime | None = None) -> EditorialRules:
    scope = Q(theme__isnull=True) | Q(theme_id=theme_id) if theme_id else Q(theme__isnull=True)
    blocks = list(Block.objects.filter(scope).values_list("track_id", "artist_id"))
    if theme_id is None:
        pins: tuple[Pin, ...] = ()
        boosted: frozenset[int] = frozenset()
    else:
        active = ThemePin.objects.active(now=now or timezone.now()).filter(theme_id=theme_id)
        pins = tuple(
            Pin(track_id, position - 1) for track_id, position in active.values_list("track_id", "position")
        )
        boosted = frozenset(
            ArtistBoost.objects.filter(theme_id=theme_id, status=BoostStatus.ACTIVE).values_list(
                "artist_id", flat=True
            )
        )
    return EditorialRules(
        blocked_track_ids=frozenset(track_id for track_id, _ in blocks if track_id),
        blocked_artist_ids=frozenset(artist_id for _, artist_id in blocks if artist_id),
        pinned=pins,
        boosted_artist_ids=boosted,
        # The fairness setting whose effect the fairness report shows (ENGINE_EXPOSURE_FLOOR).
        exposure_floor=float(settings.ENGINE_EXPOSURE_FLOOR),
    )


def rules_for_prompt(*, prompt: str, now: datetime | None = None) -> tuple[EditorialRules, ThemeMatch | None]:
    match = theme_match(prompt=prompt)
    return rules_for_theme(theme_id=match.theme_id if match else None, now=now), match
