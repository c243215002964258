"""From a queued PlaylistVersion to a composition: which Intent, which listener data, which rules.

The engine (playlists.composer and the pure modules under it) knows nothing of versions,
consent or editorial desks; this module gathers what it needs for one version and nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from django.db.models import Q

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from accounts.selectors import taste_seeds_for_user
from catalog.models import Track
from config.errors import ApplicationError
from editorial.ops_services import engine_exposure_floor, experiment_weights
from playlists.models import Playlist, PlaylistVersion, VersionCause

if TYPE_CHECKING:
    from editorial.models_ops import Assignment
    from playlists.composer import Composition, EditorialRules, ListenerContext
    from playlists.intent import Intent

DEFAULT_POLICY = "hybrid-v1"
SEED_TRACKS = 200  # popular tracks of the onboarding picks averaged into a new listener's taste


@dataclass(frozen=True)
class GeneratedVersion:
    composition: Composition
    policy: str
    personalized: bool
    # The A/B experiment variant that configured the engine, if the owner is in one.
    assignment: Assignment | None = None


def version_compose(version: PlaylistVersion, *, on_stage: Callable[[str], None]) -> GeneratedVersion:
    """Compose ``version``: its Intent, the owner's listening data when consented, curator rules."""
    from playlists.composer import playlist_compose
    from playlists.intent import PromptError

    playlist = version.playlist
    listener = listener_context(playlist.owner)
    weights, assignment = experiment_weights(playlist.owner)
    excluded = refresh_exclusions(version)
    if playlist.new_only and listener is not None:
        excluded |= listener.heard_track_ids
    try:
        composition = playlist_compose(
            prompt=playlist.prompt,
            intent=_version_intent(version, on_stage),
            size=_playlist_size(playlist),
            listener=listener,
            rules=editorial_rules(version=version),
            weights=weights,
            exclude_track_ids=excluded,
            on_stage=on_stage,
        )
    except PromptError as error:
        raise ApplicationError(str(error)) from error
    policy = assignment.variant.policy if assignment and assignment.variant.policy else DEFAULT_POLICY
    return GeneratedVersion(
        composition=composition, policy=policy, personalized=listener is not None, assignment=assignment
    )


def _playlist_size(playlist: Playlist) -> int | None:
    """The size asked for in the form or API; None lets the prompt decide ("20 songs", "an hour")."""
    from playlists.intent import AVERAGE_TRACK_SECONDS, MAX_SIZE, MIN_SIZE

    if playlist.size:
        return playlist.size
    if playlist.duration_seconds:
        return max(MIN_SIZE, min(MAX_SIZE, round(playlist.duration_seconds / AVERAGE_TRACK_SECONDS)))
    return None


def _version_intent(version: PlaylistVersion, on_stage: Callable[[str], None]) -> Intent | None:
    """The Intent to compose from; None: the engine parses the playlist's prompt."""
    from playlists.composer import vocabulary_load
    from playlists.intent import Intent, refine_intent

    if version.cause == VersionCause.PROMPT or not version.intent:
        return None
    intent = Intent.from_dict(version.intent)
    if version.cause == VersionCause.REFINE:
        on_stage("parse")
        intent = refine_intent(intent, version.change, vocabulary=vocabulary_load())
    return intent


def listener_context(owner: User) -> ListenerContext | None:
    """What personalization may use for ``owner``; None without the consent or without data.

    Until listening history exists (the feedback loop), a listener's taste is what they picked
    at onboarding: their favourite artists, and a taste vector averaged over the most popular
    tracks of those artists and genres.
    """
    from playlists.composer import ListenerContext

    if not consent_allows(owner, ConsentPurpose.PERSONALIZATION):
        return None
    seeds = taste_seeds_for_user(user=owner)
    if not seeds.tags and not seeds.artists:
        return None
    return ListenerContext(
        taste_vector=_seed_taste_vector(
            artist_ids=[artist.pk for artist in seeds.artists], tag_ids=[tag.pk for tag in seeds.tags]
        ),
        favourite_artist_names=tuple(artist.name for artist in seeds.artists),
    )


def _seed_taste_vector(*, artist_ids: list[int], tag_ids: list[int]) -> np.ndarray | None:
    seeded = Track.objects.filter(Q(artists__in=artist_ids) | Q(tags__in=tag_ids), embedding__isnull=False)
    vectors = list(seeded.order_by("-popularity", "pk").values_list("embedding", flat=True)[:SEED_TRACKS])
    if not vectors:
        return None
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def editorial_rules(*, version: PlaylistVersion) -> EditorialRules:
    """Curator rules for the version's prompt: global blocks always; the pins (in their date
    window), blocks and boosts of the theme the prompt is close to. Records which theme applied."""
    from editorial.rules import rules_for_prompt
    from editorial.services import version_theme_record

    rules, match = rules_for_prompt(prompt=version.playlist.prompt)
    rules = replace(rules, exposure_floor=engine_exposure_floor())
    version_theme_record(
        version_id=version.pk,
        theme_id=match.theme_id if match else None,
        similarity=match.similarity if match else None,
    )
    return rules


def refresh_exclusions(version: PlaylistVersion) -> frozenset[int]:
    """Tracks a scheduled refresh leaves out: what the listener skipped or disliked."""
    return frozenset()
