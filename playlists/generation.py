"""From a queued PlaylistVersion to a composition: which Intent, which listener data, which rules.

The engine (playlists.composer and the pure modules under it) knows nothing of versions,
consent or editorial desks; this module gathers what it needs for one version and nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config.errors import ApplicationError
from playlists.models import PlaylistVersion, VersionCause

if TYPE_CHECKING:
    from playlists.composer import Composition, EditorialRules, ListenerContext
    from playlists.intent import Intent

DEFAULT_POLICY = "hybrid-v1"


@dataclass(frozen=True)
class GeneratedVersion:
    composition: Composition
    policy: str
    personalized: bool


def version_compose(version: PlaylistVersion, *, on_stage: Callable[[str], None]) -> GeneratedVersion:
    """Compose ``version``: its Intent, the owner's listening data when consented, curator rules."""
    from playlists.composer import playlist_compose
    from playlists.intent import PromptError

    playlist = version.playlist
    listener = listener_context(playlist.owner)
    try:
        intent = _version_intent(version, on_stage)
        composition = playlist_compose(
            prompt=playlist.prompt if intent is None else None,
            intent=intent,
            size=playlist.size,
            listener=listener,
            rules=editorial_rules(),
            exclude_track_ids=refresh_exclusions(version),
            on_stage=on_stage,
        )
    except PromptError as error:
        raise ApplicationError(str(error)) from error
    return GeneratedVersion(composition=composition, policy=DEFAULT_POLICY, personalized=listener is not None)


def _version_intent(version: PlaylistVersion, on_stage: Callable[[str], None]) -> Intent | None:
    """The Intent to compose from; None: parse the playlist's prompt (the engine does)."""
    from playlists.composer import vocabulary_get
    from playlists.intent import Intent, refine_intent

    if version.cause == VersionCause.PROMPT or not version.intent:
        return _with_playlist_options(None, version)
    base = Intent.from_dict(version.intent)
    if version.cause == VersionCause.REFINE:
        on_stage("parse")
        base = refine_intent(base, version.change, vocabulary=vocabulary_get())
    return _with_playlist_options(base, version)


def _with_playlist_options(intent: Intent | None, version: PlaylistVersion) -> Intent | None:
    return intent


def listener_context(owner: object) -> ListenerContext | None:
    """The owner's taste for personalization; None without the consent or without any history."""
    return None


def editorial_rules() -> EditorialRules | None:
    """Curator pins, blocks and boosts that apply (none until the editorial desk exists)."""
    return None


def refresh_exclusions(version: PlaylistVersion) -> frozenset[int]:
    """Tracks a scheduled refresh leaves out: what the listener skipped or disliked."""
    return frozenset()
