"""What generation reads from the apps above playlists, through hooks they register at start-up.

playlists sits below editorial and editorial.experiments in the layers and never imports them;
their ``AppConfig.ready()`` registers here instead (as ``accounts.privacy`` collects export and
erasure hooks):

- a rules provider: the curator rules (blocks, pins, boosts, exposure floor) for a prompt, and
  which theme matched it;
- a variant provider: the engine configuration of the listener's A/B variant, if they are in one;
- version recorders: called inside the transaction that stores a generated version, so what
  they write (the theme that applied, the variant that built it) commits or rolls back with the
  version and its items.

Providers only read, recorders only write: a generation that fails leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User
    from playlists.composer import EditorialRules
    from playlists.engine.scoring import Weights
    from playlists.models import PlaylistVersion


@dataclass(frozen=True)
class RulesChoice:
    """Curator rules for one prompt; None: no rules provider (the engine runs without rules)."""

    rules: EditorialRules | None = None
    theme_id: int | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class VariantChoice:
    """The A/B variant a listener is in and the engine configuration it sets."""

    experiment_id: int
    variant_id: int
    weights: Weights
    diversity: float | None
    policy: str  # the policy name the version logs


@dataclass(frozen=True)
class GenerationChoices:
    """What the providers chose for one version; the recorders store it with the version."""

    rules: RulesChoice
    variant: VariantChoice | None


RulesProvider = Callable[[str], RulesChoice]
VariantProvider = Callable[["User"], "VariantChoice | None"]
VersionRecorder = Callable[["PlaylistVersion", GenerationChoices], None]

_rules_provider: RulesProvider | None = None
_variant_provider: VariantProvider | None = None
# By name, so a second ready() (tests that reload apps) replaces instead of doubling.
_recorders: dict[str, VersionRecorder] = {}


def rules_provider_register(provider: RulesProvider) -> None:
    global _rules_provider
    _rules_provider = provider


def variant_provider_register(provider: VariantProvider) -> None:
    global _variant_provider
    _variant_provider = provider


def version_recorder_register(name: str, recorder: VersionRecorder) -> None:
    _recorders[name] = recorder


def rules_choose(*, prompt: str) -> RulesChoice:
    return _rules_provider(prompt) if _rules_provider is not None else RulesChoice()


def variant_choose(*, user: User) -> VariantChoice | None:
    return _variant_provider(user) if _variant_provider is not None else None


def version_choices_record(*, version: PlaylistVersion, choices: GenerationChoices) -> None:
    """Run every recorder; call inside the transaction that stores ``version``."""
    for recorder in _recorders.values():
        recorder(version, choices)
