"""The prompt-to-Intent API the Django side uses, gathered from the pure modules that hold it.

The model and limits live in ``playlists.engine.intent``, the parser in
``playlists.engine.parse``, refinement in ``playlists.engine.refine``.
"""

from playlists.engine.intent import (
    DEFAULT_SIZE,
    MAX_PROMPT_CHARS,
    MAX_SIZE,
    MIN_SIZE,
    FeatureRange,
    Intent,
    NotUnderstoodError,
    PromptError,
    TagChoice,
    Vocabulary,
    size_for_duration,
    validate_prompt,
    validate_size,
)
from playlists.engine.parse import parse_prompt
from playlists.engine.refine import refine_intent

__all__ = [
    "DEFAULT_SIZE",
    "MAX_PROMPT_CHARS",
    "MAX_SIZE",
    "MIN_SIZE",
    "FeatureRange",
    "Intent",
    "NotUnderstoodError",
    "PromptError",
    "TagChoice",
    "Vocabulary",
    "parse_prompt",
    "refine_intent",
    "size_for_duration",
    "validate_prompt",
    "validate_size",
]
