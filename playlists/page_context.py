"""What the playlist page adds for a person reading it (issue 19): readable reasons, worded
sliders, refinement chips, and each version's diff. Reads only; the page's view calls
``listener_page_context`` and merges the result into its context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playlists.intent_edit import Slider
from playlists.models import Playlist, PlaylistItem, PlaylistVersion, VersionStatus
from playlists.presentation import (
    SUGGESTED_REFINEMENTS,
    TASTE_REASON,
    SliderWords,
    VersionDiff,
    cover_pattern_svg,
    readable_reasons,
    slider_words,
    taste_lifted,
    version_diff,
)
from playlists.selectors import VersionChange


@dataclass(frozen=True)
class WordedSlider:
    slider: Slider
    words: SliderWords

    @property
    def min_word(self) -> str:
        return self.words.word(self.slider.min_value, self.slider.low, self.slider.high)

    @property
    def max_word(self) -> str:
        return self.words.word(self.slider.max_value, self.slider.low, self.slider.high)

    @property
    def levels(self) -> str:
        return "|".join(self.words.levels)


@dataclass(frozen=True)
class Cover:
    images: list[str]  # up to four cover-art URLs (a mosaic), or none
    pattern_svg: str  # else this pattern


def playlist_cover(playlist: Playlist, items: list[PlaylistItem]) -> Cover:
    """A mosaic of the tracks' cover art where the library has it, else a pattern of the moods."""
    images: list[str] = []
    for item in items:
        url = getattr(getattr(item, "playable", None), "cover_url", "") or ""
        if url and url not in images:
            images.append(url)
        if len(images) == 4:
            break
    if images:
        return Cover(images=images if len(images) == 4 else images[:1], pattern_svg="")
    intent = playlist.intent or {}
    energy = (intent.get("feature_ranges") or {}).get("energy")
    return Cover(
        images=[],
        pattern_svg=cover_pattern_svg(
            seed_text=playlist.prompt,
            moods=[str(mood) for mood in intent.get("moods") or []],
            energy=(float(energy["low"]) + float(energy["high"])) / 2 if energy else None,
        ),
    )


def version_diffs(*, playlist: Playlist) -> dict[int, VersionDiff]:
    """Each ready version's diff against the ready version before it (the first: none)."""
    ready = list(
        playlist.versions.filter(status=VersionStatus.READY).order_by("number").values_list("pk", "number")
    )
    rows: dict[int, list[tuple[int, str]]] = {}
    for version_id, track_id, title in (
        PlaylistItem.objects.filter(version__playlist=playlist, version__status=VersionStatus.READY)
        .order_by("version_id", "position")
        .values_list("version_id", "track_id", "track__title")
    ):
        rows.setdefault(version_id, []).append((track_id, title))
    diffs = {}
    for (previous_id, _), (version_id, number) in zip(ready, ready[1:], strict=False):
        diffs[number] = version_diff(rows.get(previous_id, []), rows.get(version_id, []))
    return diffs


TRACK_EDITS = (
    ("up", "Move up"),
    ("down", "Move down"),
    ("replace", "Replace this track"),
    ("more", "More like this"),
    ("remove", "Remove"),
)


def listener_page_context(
    *,
    playlist: Playlist,
    shown: PlaylistVersion | None,
    latest: PlaylistVersion | None,
    items: list[PlaylistItem],
    sliders: list[Slider],
    changes: list[VersionChange],
) -> dict[str, Any]:
    """Sets ``readable_reasons`` on each item (its ``reaction`` must be set) and returns the
    page's extra context."""
    lifted = taste_lifted(
        {
            item.track_id: float(item.components.get("taste", 0.0))
            for item in items
            if TASTE_REASON in item.reasons
        }
    )
    for item in items:
        item.readable_reasons = readable_reasons(  # type: ignore[attr-defined]
            item.reasons,
            liked=getattr(item, "reaction", "") == "like",
            taste_lifted=item.track_id in lifted,
        )
    diffs = version_diffs(playlist=playlist)
    return {
        "cover": playlist_cover(playlist, items),
        # Tracks are edited on the newest version only (an edit makes the next version from it).
        "editable": shown is not None
        and latest is not None
        and shown.pk == latest.pk
        and shown.status == VersionStatus.READY,
        "track_edits": TRACK_EDITS,
        "shown_diff": diffs.get(shown.number) if shown else None,
        "version_rows": [(change, diffs.get(change.version.number)) for change in changes],
        "worded_sliders": [WordedSlider(slider, slider_words(slider.feature)) for slider in sliders],
        "refinements": SUGGESTED_REFINEMENTS,
    }
