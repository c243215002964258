"""Listening outcomes and list measures of generated versions, the building blocks of the
experiment results, the off-policy report and the drift checks. Outcomes come from one place,
``version_outcomes``: feedback events when the feedback app has its event model, plus simulated
outcomes. No user scoping here: the selectors that call these check the curator."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.apps import apps
from django.db.models import Count, Model

from catalog.models import Track, TrackArtist
from editorial.experiments.models import (
    SimulatedOutcome,
)
from editorial.experiments.stats import fairness
from editorial.exposure import (
    is_long_tail,
    long_tail_share,
)
from editorial.outcomes import skip_rate
from playlists.models import PlaylistItem

# --- outcomes -------------------------------------------------------------------------------


@dataclass
class Outcome:
    plays: int = 0
    skips: int = 0
    completions: int = 0
    likes: int = 0
    saves: int = 0

    @property
    def observed(self) -> bool:
        """Anything was heard: a play started or ended."""
        return bool(self.plays or self.skips or self.completions)

    @property
    def skip_rate(self) -> float:
        return skip_rate(skips=self.skips, completions=self.completions)

    @property
    def completion_rate(self) -> float:
        """Completions over play starts (the off-policy reward)."""
        return self.completions / self.plays if self.plays else math.nan

    def add(self, other: Outcome) -> None:
        self.plays += other.plays
        self.skips += other.skips
        self.completions += other.completions
        self.likes += other.likes
        self.saves += other.saves


_EVENT_FIELDS = {
    "play": "plays",
    "skip": "skips",
    "complete": "completions",
    "like": "likes",
    "save": "saves",
}


def feedback_event_model() -> type[Model] | None:
    """The feedback app's listening event model, or None while it does not exist."""
    try:
        return apps.get_model("feedback", "ListeningEvent")
    except LookupError:
        return None


def version_outcomes(version_ids: Iterable[int]) -> dict[int, Outcome]:
    """Outcome counts per version that has any: feedback events plus simulated outcomes."""
    ids = list(version_ids)
    outcomes: dict[int, Outcome] = defaultdict(Outcome)
    if not ids:
        return {}
    event_model = feedback_event_model()
    if event_model is not None:
        rows = (
            event_model.objects.filter(version_id__in=ids, kind__in=list(_EVENT_FIELDS))  # type: ignore[attr-defined]
            .values("version_id", "kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            outcome = outcomes[row["version_id"]]
            setattr(
                outcome, _EVENT_FIELDS[row["kind"]], getattr(outcome, _EVENT_FIELDS[row["kind"]]) + row["n"]
            )
    for simulated in SimulatedOutcome.objects.filter(version_id__in=ids):
        outcomes[simulated.version_id].add(
            Outcome(simulated.plays, simulated.skips, simulated.completions, simulated.likes, simulated.saves)
        )
    return dict(outcomes)


# --- per-version list measures --------------------------------------------------------------


@dataclass
class ListMeasures:
    diversity: float  # 1 - mean pairwise cosine of the tracks' embeddings (NaN when not asked)
    artist_variety: float  # distinct lead artists per track
    long_tail_share: float  # editorial.exposure's definition, over this version's placements
    lead_artists: list[int]


def version_list_measures(
    version_ids: Sequence[int], *, with_embeddings: bool = False
) -> dict[int, ListMeasures]:
    """Per version: diversity, artist variety, long-tail share and lead artists."""
    items = list(
        PlaylistItem.objects.filter(version_id__in=version_ids).values_list(
            "version_id", "track_id", "track__popularity"
        )
    )
    track_ids = {track_id for _, track_id, _ in items}
    leads: dict[int, int] = {}
    for track_id, artist_id in (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .order_by("track_id", "-position", "-artist_id")
        .values_list("track_id", "artist_id")
    ):
        leads[track_id] = artist_id  # the lowest position (then id) is written last
    embeddings: dict[int, np.ndarray] = {}
    if with_embeddings:
        embeddings = {
            pk: np.asarray(vector, dtype=float)
            for pk, vector in Track.objects.filter(pk__in=track_ids, embedding__isnull=False).values_list(
                "pk", "embedding"
            )
        }
    per_version: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for version_id, track_id, popularity in items:
        per_version[version_id].append((track_id, popularity))
    measures = {}
    for version_id, rows in per_version.items():
        artists = [[leads[track_id]] if track_id in leads else [] for track_id, _ in rows]
        vectors = [embeddings[track_id] for track_id, _ in rows if track_id in embeddings]
        long_tail = sum(1 for _, popularity in rows if is_long_tail(popularity))
        measures[version_id] = ListMeasures(
            diversity=fairness.intra_list_diversity(np.vstack(vectors)) if len(vectors) > 1 else math.nan,
            artist_variety=fairness.list_diversity(artists),
            long_tail_share=long_tail_share(long_tail, len(rows)),
            lead_artists=[leads[track_id] for track_id, _ in rows if track_id in leads],
        )
    return measures
