"""What Segue tells a listener about how it read their prompt, for the page and the API.

Built from a version's stored Intent (a dict), tolerant of Intents stored before a field existed:
the words it did not understand, artists not in the library, wishes a refinement replaced, the
language it read, and the parser's and engine's warnings (e.g. "Radiohead is not in your
library; used its style: alternative rock, art rock").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playlists.engine.language import ENGLISH, LANGUAGE_NAMES, READ_LANGUAGES


@dataclass(frozen=True)
class PromptReply:
    not_understood: list[str] = field(default_factory=list)
    unknown_artists: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    language: str = ENGLISH
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The reply as sentences, most important first."""
        lines = []
        if self.not_understood:
            lines.append(f"Segue did not understand: {', '.join(self.not_understood)}")
        named = " ".join(self.warnings)
        for artist in self.unknown_artists:
            if artist not in named:
                lines.append(f"{artist} is not in your library")
        lines.extend(self.warnings)
        if self.replaced:
            lines.append(f"Replaced by your change: {'; '.join(self.replaced)}")
        if self.language and self.language != ENGLISH and self.language in READ_LANGUAGES:
            # An unread language has its own warning ("… was read as English").
            lines.append(f"Read as {LANGUAGE_NAMES[self.language]}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "not_understood": self.not_understood,
            "unknown_artists": self.unknown_artists,
            "replaced": self.replaced,
            "language": self.language,
            "warnings": self.warnings,
            "lines": self.lines(),
        }


def prompt_reply(intent: Mapping[str, Any] | None) -> PromptReply:
    intent = intent or {}
    return PromptReply(
        not_understood=[str(word) for word in intent.get("not_understood") or []],
        unknown_artists=[str(name) for name in intent.get("unknown_artists") or []],
        replaced=[str(note) for note in intent.get("replaced") or []],
        language=str(intent.get("language") or ENGLISH),
        warnings=[str(note) for note in intent.get("warnings") or []],
    )
