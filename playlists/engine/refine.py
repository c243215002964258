"""``refine_intent``: a follow-up such as "less rap, more upbeat" applied to an Intent (no Django imports)."""

from __future__ import annotations

import re
from dataclasses import replace

from playlists.engine.intent import (
    FeatureRange,
    Intent,
    NotUnderstoodError,
    TagChoice,
    Vocabulary,
    validate_prompt,
)
from playlists.engine.matching import add_include, normalize
from playlists.engine.parse import feature_scale, parse_prompt


def refine_intent(intent: Intent, change_text: str, *, vocabulary: Vocabulary) -> Intent:
    """The Intent after a listener's change ("less rap, more upbeat", "no Drake", "slower").

    A change replaces the earlier wishes it contradicts ("less lo-fi" drops an included lo-fi,
    "no gangsta rap" turns an earlier "less gangsta rap" into an exclusion, "more upbeat" after
    "calm" replaces the calm energy range) and says so in ``replaced``. A change with nothing
    understood raises NotUnderstoodError rather than making a new version of the same thing.
    """
    change_text = validate_prompt(change_text)
    refined = Intent.from_dict(intent.to_dict())
    refined.replaced = []
    understood = False
    for clause in re.split(r"[,;]|\bbut\b|\band\b", normalize(change_text)):
        clause = clause.strip()
        if clause:
            understood = _refine_clause(refined, clause, vocabulary) or understood
    if not understood:
        failed = parse_prompt(change_text, vocabulary=vocabulary, require_understood=False)
        raise NotUnderstoodError(failed)
    return refined


STEP_CHANGES = {
    "slower": ("tempo", -15.0, "energy", -0.15),
    "faster": ("tempo", 15.0, "energy", 0.15),
    "calmer": ("energy", -0.2, "energy", 0.0),
    "quieter": ("loudness", -4.0, "energy", -0.15),
    "louder": ("loudness", 4.0, "energy", 0.15),
    "happier": ("valence", 0.2, "valence", 0.0),
    "sadder": ("valence", -0.2, "valence", 0.0),
}


def _refine_clause(intent: Intent, clause: str, vocabulary: Vocabulary) -> bool:
    """Apply one clause of a change; False when nothing in it was understood."""
    words = clause.split()
    head = words[0]
    if head in STEP_CHANGES and len(words) == 1:
        feature, step, second, second_step = STEP_CHANGES[head]
        _shift_range(intent, feature, step)
        if second_step:
            _shift_range(intent, second, second_step)
        return True
    if head in ("less", "fewer") and len(words) > 1:
        return _refine_less(intent, " ".join(words[1:]), vocabulary)
    if head == "more" and len(words) > 1:
        clause = " ".join(words[1:])
    change = parse_prompt(clause, vocabulary=vocabulary, require_understood=False)
    if change.nothing_understood:
        return False
    _merge_change(intent, change)
    return True


def _refine_less(intent: Intent, rest: str, vocabulary: Vocabulary) -> bool:
    """ "less rap" ranks rap down rather than forbidding it, and stops asking for it.

    The genres the words name are lowered, and so are their kin, except a genre the listener
    asked for by name ("90s hip hop", then "less gangsta rap": hip hop stays asked for). A genre
    lowered is no longer asked for, and one that was left out is now only ranked down: the
    latest wish replaces the earlier one, and says so.
    """
    change = parse_prompt(f"no {rest}", vocabulary=vocabulary, require_understood=False)
    if change.nothing_understood:
        return False
    named = set(change.exclude_tags)
    asked = {tag.name for tag in intent.include_tags if _names_itself(tag)}
    lowered = [*change.exclude_tags, *(name for name in change.avoid_tags if name not in asked - named)]
    dropped = [tag.name for tag in intent.include_tags if tag.name in set(lowered)]
    if dropped:
        intent.replaced.append(f"'less {rest}' replaced the wish for {', '.join(dropped)}")
    unbanned = [name for name in intent.exclude_tags if name in named]
    if unbanned:
        intent.replaced.append(f"'less {rest}' replaced the earlier 'no {', '.join(unbanned)}'")
    intent.exclude_tags = [name for name in intent.exclude_tags if name not in named]
    intent.include_tags = [tag for tag in intent.include_tags if tag.name not in set(lowered)]
    intent.avoid_tags = list(dict.fromkeys([*intent.avoid_tags, *lowered]))
    for feature, spec in change.feature_ranges.items():
        _replace_range(intent, feature, spec)
    return True


def _names_itself(tag: TagChoice) -> bool:
    """Whether the prompt's words named this genre, rather than a broader one it belongs to."""
    return re.search(rf"(?<!\w){re.escape(tag.name)}(?!\w)", tag.source) is not None


def _replace_range(intent: Intent, feature: str, spec: FeatureRange) -> None:
    """A new range on a feature replaces an old one it does not overlap, and says so."""
    old = intent.feature_ranges.get(feature)
    if old is not None and (old.high < spec.low or spec.high < old.low):
        intent.replaced.append(f"{feature}: '{spec.source}' replaced '{old.source}'")
        if old.source in intent.moods:
            intent.moods.remove(old.source)
        if old.source == intent.activity:
            intent.activity = None
    intent.feature_ranges[feature] = spec


def _merge_change(intent: Intent, change: Intent) -> None:
    for tag in change.include_tags:
        if tag.name in intent.exclude_tags or tag.name in intent.avoid_tags:
            intent.replaced.append(f"'{tag.source}' replaced the earlier 'no/less {tag.name}'")
            intent.exclude_tags = [name for name in intent.exclude_tags if name != tag.name]
            intent.avoid_tags = [name for name in intent.avoid_tags if name != tag.name]
        add_include(intent, tag.name, tag.confidence, tag.source)
    now_excluded = [name for name in change.exclude_tags if name in intent.avoid_tags]
    if now_excluded:
        intent.replaced.append(f"'no {', '.join(now_excluded)}' replaced the earlier 'less'")
    intent.exclude_tags = list(dict.fromkeys([*intent.exclude_tags, *change.exclude_tags]))
    excluded = set(intent.exclude_tags)
    # A genre near an excluded one is ranked down, unless the listener still asks for it.
    asked = set(intent.include_tag_names()) - excluded
    lowered = [name for name in change.avoid_tags if name not in asked]
    intent.avoid_tags = [
        name for name in dict.fromkeys([*intent.avoid_tags, *lowered]) if name not in excluded
    ]
    dropped = [tag.name for tag in intent.include_tags if tag.name in excluded]
    if dropped:
        intent.replaced.append(f"the exclusion replaced the wish for {', '.join(dropped)}")
    intent.include_tags = [tag for tag in intent.include_tags if tag.name not in excluded]
    intent.clean = intent.clean or change.clean
    intent.exclude_artists = list(dict.fromkeys([*intent.exclude_artists, *change.exclude_artists]))
    intent.seed_artists = [name for name in intent.seed_artists if name not in set(change.exclude_artists)]
    intent.seed_artists = list(dict.fromkeys([*intent.seed_artists, *change.seed_artists]))
    intent.unknown_artists = list(dict.fromkeys([*intent.unknown_artists, *change.unknown_artists]))
    for feature, spec in change.feature_ranges.items():
        _replace_range(intent, feature, spec)
    for name in ("era", "size", "duration_seconds", "familiarity", "activity", "energy_arc"):
        value = getattr(change, name)
        if value is not None:
            old = getattr(intent, name)
            if old is not None and old != value:
                intent.replaced.append(f"{name}: {value!r} replaced {old!r}")
            setattr(intent, name, value)
    intent.moods = list(dict.fromkeys([*intent.moods, *change.moods]))
    if change.semantic_text:
        intent.semantic_text = f"{intent.semantic_text}, {change.semantic_text}".strip(", ")


def _shift_range(intent: Intent, feature: str, step: float) -> None:
    low, high = feature_scale(feature)
    spec = intent.feature_ranges.get(feature)
    if spec is None:
        middle = (low + high) / 2 + step * 2
        spec = FeatureRange(low=low, high=high, hard=False, confidence=0.7, source="refine")
        if step < 0:
            spec.high = middle
        else:
            spec.low = middle
        intent.feature_ranges[feature] = spec
        return
    intent.feature_ranges[feature] = replace(
        spec, low=min(max(low, spec.low + step), high), high=max(min(high, spec.high + step), low)
    )
