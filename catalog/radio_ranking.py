"""Ordering a "More like this" radio: blend sound and text similarity, audio first, cap artists.

Pure: no Django. ``catalog.radio`` gathers the candidates from the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Share of the sound similarity in the blend when both similarities are known; the text
# embedding (title, artists, tags, genre words) carries the rest.
SOUND_WEIGHT = 0.6
ARTIST_CAP = 2


@dataclass(frozen=True)
class RadioCandidate:
    track_id: int
    artist_ids: tuple[int, ...]
    # Cosine similarities to the seed track, -1..1; None when either side has no such vector.
    sound_similarity: float | None
    text_similarity: float | None
    has_audio: bool

    def similarity(self, sound_weight: float = SOUND_WEIGHT) -> float | None:
        """The blend; a missing similarity is unknown (the other one stands alone), not 0."""
        if self.sound_similarity is None:
            return self.text_similarity
        if self.text_similarity is None:
            return self.sound_similarity
        return sound_weight * self.sound_similarity + (1 - sound_weight) * self.text_similarity


def radio_order(
    candidates: Iterable[RadioCandidate],
    *,
    size: int,
    artist_cap: int = ARTIST_CAP,
    sound_weight: float = SOUND_WEIGHT,
) -> list[RadioCandidate]:
    """Up to ``size`` candidates: those with audio first, each group by blended similarity
    (ties by track id, so the order is stable), at most ``artist_cap`` tracks per artist.

    A track counts against each of its credited artists; one that would exceed any artist's cap
    is left out. Candidates with no similarity at all are left out.
    """
    scored = [
        (candidate, score)
        for candidate in candidates
        if (score := candidate.similarity(sound_weight)) is not None
    ]
    scored.sort(key=lambda pair: (not pair[0].has_audio, -pair[1], pair[0].track_id))
    per_artist: Counter[int] = Counter()
    chosen: list[RadioCandidate] = []
    for candidate, _ in scored:
        if len(chosen) >= size:
            break
        if any(per_artist[artist] >= artist_cap for artist in candidate.artist_ids):
            continue
        per_artist.update(set(candidate.artist_ids))
        chosen.append(candidate)
    return chosen
