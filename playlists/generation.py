"""From a queued PlaylistVersion to a composition: which Intent, which listener data, which rules.

The engine (playlists.composer and the pure modules under it) knows nothing of versions,
consent or editorial desks; this module gathers what it needs for one version and nothing more.
Curator rules and A/B variants come from the apps above through ``playlists.providers``; this
module only reads: everything a generation writes is stored by ``services`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.db.models import Q

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose, User
from catalog.models import Track
from config.errors import ApplicationError
from feedback.learning.bandit import POLICIES
from feedback.selectors import disliked_tracks, learned_taste, policy_choose, refresh_left_out
from feedback.taste_seeds import taste_seeds_for_user
from playlists import providers
from playlists.engine.intent import Intent, NotUnderstoodError, PromptError
from playlists.engine.refine import refine_intent
from playlists.engine.scoring import Weights
from playlists.models import PlaylistVersion, VersionCause
from playlists.regenerate import regenerate_left_out

if TYPE_CHECKING:
    from playlists.composer import Composition, ListenerContext

SEED_TRACKS = 200  # popular tracks of the onboarding picks averaged into a new listener's taste


@dataclass(frozen=True)
class GeneratedVersion:
    composition: Composition
    policy: str
    personalized: bool
    # The curator rules and A/B variant chosen for it, recorded with the version.
    choices: providers.GenerationChoices


def composition_for_version(version: PlaylistVersion, *, on_stage: Callable[[str], None]) -> GeneratedVersion:
    """Compose ``version``: its Intent, the owner's listening data when consented, curator rules.
    Reads only; the caller stores the result."""
    # The composer loads the text model and the catalog vocabulary: imported when a version is
    # composed, so importing the services (web process, migrations) does not load torch.
    from playlists.composer import EditorialRules, playlist_compose

    playlist = version.playlist
    listener = personalization_context(playlist.owner)
    excluded = refresh_exclusions(version) | regenerate_left_out(version)
    if playlist.new_only and listener is not None:
        excluded |= listener.heard_track_ids
    # A listener in an A/B experiment gets their variant's engine configuration (no bandit
    # randomization, so no propensity: off-policy estimates stay unmixed); everyone else gets
    # the weight preset the bandit picks, logged with its propensity.
    variant = providers.variant_choose(user=playlist.owner)
    propensity: float | None = None
    if variant is not None:
        weights, policy = variant.weights, variant.policy
    else:
        choice = policy_choose(user=playlist.owner, personalized=listener is not None)
        weights, policy, propensity = (
            Weights.from_dict(POLICIES[choice.policy]),
            choice.policy,
            choice.propensity,
        )
    rules = providers.rules_choose(prompt=playlist.prompt)
    try:
        composition = playlist_compose(
            prompt=playlist.prompt,
            intent=_version_intent(version, on_stage),
            size=playlist.size or None,
            duration_seconds=playlist.duration_seconds or None,
            listener=listener,
            rules=rules.rules if rules.rules is not None else EditorialRules(),
            weights=weights,
            diversity=variant.diversity if variant is not None else None,
            exclude_track_ids=excluded,
            on_stage=on_stage,
        )
    except PromptError as error:
        raise ApplicationError(str(error)) from error
    composition.propensity = propensity
    return GeneratedVersion(
        composition=composition,
        policy=policy,
        personalized=listener is not None,
        choices=providers.GenerationChoices(rules=rules, variant=variant),
    )


def _version_intent(version: PlaylistVersion, on_stage: Callable[[str], None]) -> Intent | None:
    """The Intent to compose from; None: the engine parses the playlist's prompt."""
    from playlists.composer import vocabulary_load

    if version.cause == VersionCause.PROMPT or not version.intent:
        return None
    intent = Intent.from_dict(version.intent)
    if version.cause == VersionCause.REFINE:
        on_stage("parse")
        try:
            refined = refine_intent(intent, version.change, vocabulary=vocabulary_load())
        except NotUnderstoodError as error:
            raise ApplicationError(
                refine_not_understood_message(version.change, intent, error.intent)
            ) from error
        if getattr(refined, "nothing_understood", False) or refine_changes_nothing(intent, refined):
            raise ApplicationError(refine_not_understood_message(version.change, intent, refined))
        return refined
    return intent


# What a refinement may change without changing what is asked for: its notes, and the text
# embedded for similarity (a change of which nothing was understood is still appended to it).
_NOTE_FIELDS = frozenset(
    {
        "semantic_text",
        "relaxed",
        "warnings",
        "not_understood",
        "nothing_understood",
        "unknown_artists",
        "language",
        "replaced",
    }
)


def refine_changes_nothing(before: Intent, after: Intent) -> bool:
    """Whether a refinement left every wish as it was (its words were not understood)."""

    def wishes(intent: Intent) -> dict:
        return {key: value for key, value in intent.to_dict().items() if key not in _NOTE_FIELDS}

    return wishes(before) == wishes(after)


def refine_not_understood_message(change: str, before: Intent, refined: Intent) -> str:
    """Why a refinement made no new version: the words the parser could not read, else that the
    change asks for nothing the playlist does not already have."""
    earlier = set(getattr(before, "not_understood", []))
    words = [word for word in getattr(refined, "not_understood", []) if word not in earlier]
    if words:
        said = f"Segue did not understand: {', '.join(words)}."
    else:
        said = f"Segue did not understand “{change}” as a change: it asks for nothing new."
    return (
        f"{said} The playlist is unchanged. "
        "Try a change such as “less rap”, “more upbeat”, “slower” or “no Drake”."
    )


def personalization_context(owner: User) -> ListenerContext | None:
    """What personalization may use for ``owner``; None without the consent or without data.

    Two sources, merged: the onboarding picks (favourite artists, and a taste vector averaged
    over the most popular tracks of those artists and genres) and what the feedback loop learned
    (decayed affinities, heard tracks, a content vector of the liked tracks, CF neighbours). The
    learned vector takes over from the seeds as positive feedback accumulates.
    """
    from playlists.composer import ListenerContext

    if not consent_allows(owner, ConsentPurpose.PERSONALIZATION):
        return None
    seeds = taste_seeds_for_user(user=owner)
    has_seeds = bool(seeds.tags or seeds.artists)
    learned = learned_taste(user=owner)
    if not has_seeds and learned is None:
        return None
    seed_vector = (
        _seed_taste_vector(
            artist_ids=[artist.pk for artist in seeds.artists], tag_ids=[tag.pk for tag in seeds.tags]
        )
        if has_seeds
        else None
    )
    favourites = tuple(artist.name for artist in seeds.artists)
    if learned is None:
        return ListenerContext(taste_vector=seed_vector, favourite_artist_names=favourites)
    positives = sum(1 for value in learned.affinity.values() if value > 0)
    return ListenerContext(
        taste_vector=_blend(
            seed_vector, learned.taste_vector, learned_share=min(1.0, positives / LEARNED_TAKEOVER)
        ),
        heard_track_ids=learned.heard,
        track_affinity=_track_affinity(learned.affinity, learned.cf_scores),
        favourite_artist_names=favourites,
    )


LEARNED_TAKEOVER = 20  # positive tracks after which the learned vector alone is the taste
CF_AFFINITY_SHARE = 0.5  # a CF neighbour counts at most half as much as the strongest liked track


def _blend(seed: np.ndarray | None, learned: np.ndarray | None, *, learned_share: float) -> np.ndarray | None:
    if seed is None or learned is None:
        return learned if learned is not None else seed
    mixed = (1.0 - learned_share) * seed + learned_share * learned
    norm = float(np.linalg.norm(mixed))
    return mixed / norm if norm else None


def _track_affinity(affinity: dict[int, float], cf_scores: dict[int, float]) -> dict[int, float]:
    """Affinities scaled to at most 1 in magnitude, plus CF neighbours the listener has not met."""
    scale = max((abs(value) for value in affinity.values()), default=0.0) or 1.0
    merged = {track: value / scale for track, value in affinity.items()}
    for track, score in cf_scores.items():
        merged.setdefault(track, CF_AFFINITY_SHARE * score)
    return merged


def _seed_taste_vector(*, artist_ids: list[int], tag_ids: list[int]) -> np.ndarray | None:
    seeded = Track.objects.filter(Q(artists__in=artist_ids) | Q(tags__in=tag_ids), embedding__isnull=False)
    vectors = list(seeded.order_by("-popularity", "pk").values_list("embedding", flat=True)[:SEED_TRACKS])
    if not vectors:
        return None
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def refresh_exclusions(version: PlaylistVersion) -> frozenset[int]:
    """Tracks a new version leaves out: everything the listener disliked (never again), and what
    they skipped early or removed in this playlist's earlier versions. Needs personalization."""
    owner = version.playlist.owner
    if not consent_allows(owner, ConsentPurpose.PERSONALIZATION):
        return frozenset()
    return disliked_tracks(user=owner) | refresh_left_out(user=owner, playlist_id=version.playlist_id)
