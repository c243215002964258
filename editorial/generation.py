"""The desk's side of playlist generation, registered with ``playlists.providers`` at start-up:
the curator rules for a prompt (read before composing) and the theme that applied (recorded in
the transaction that stores the version)."""

from __future__ import annotations

from editorial.models import VersionTheme
from playlists.models import PlaylistVersion
from playlists.providers import GenerationChoices, RulesChoice


def rules_choose(prompt: str) -> RulesChoice:
    """The rules provider: global blocks, and the pins, blocks and boosts of the closest theme."""
    # editorial.rules builds the engine's EditorialRules: importing it loads the engine and the
    # text model (torch), which start-up (web, manage.py) should not pay for; generation does.
    from editorial.rules import rules_for_prompt

    rules, match = rules_for_prompt(prompt=prompt)
    return RulesChoice(
        rules=rules,
        theme_id=match.theme_id if match else None,
        similarity=match.similarity if match else None,
    )


def version_theme_record(version: PlaylistVersion, choices: GenerationChoices) -> None:
    """The recorder: which theme's rules applied to ``version`` (a re-run replaces it)."""
    VersionTheme.objects.update_or_create(
        version_id=version.pk,
        defaults={"theme_id": choices.rules.theme_id, "similarity": choices.rules.similarity},
    )
