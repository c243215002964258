"""The descriptive text a track is embedded from (no Django imports).

Words are derived from audio features so a prompt like "fast danceable happy songs" lands
near tracks whose numbers say so, even when their tags do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def tempo_words(tempo: float | None) -> list[str]:
    if tempo is None or tempo <= 0:
        return []
    bpm = f"{round(tempo)} bpm"
    if tempo < 76:
        return ["slow tempo", bpm]
    if tempo < 108:
        return ["moderate tempo", bpm]
    if tempo < 132:
        return ["upbeat tempo", bpm]
    return ["fast tempo", bpm]


def energy_words(energy: float | None) -> list[str]:
    if energy is None:
        return []
    if energy < 0.3:
        return ["calm", "low energy"]
    if energy < 0.6:
        return ["medium energy"]
    if energy < 0.85:
        return ["energetic"]
    return ["very energetic", "intense"]


def mood_words(valence: float | None, energy: float | None) -> list[str]:
    if valence is None:
        return []
    energetic = energy is not None and energy >= 0.6
    if valence < 0.25:
        return ["dark", "angry mood"] if energetic else ["sad", "melancholic mood"]
    if valence < 0.5:
        return ["tense mood"] if energetic else ["wistful", "mellow mood"]
    if valence < 0.75:
        return ["upbeat", "positive mood"] if energetic else ["warm", "relaxed mood"]
    return ["euphoric", "happy mood"] if energetic else ["cheerful", "happy mood"]


def character_words(features: Mapping[str, float | int | None]) -> list[str]:
    words = []
    if (features.get("danceability") or 0) >= 0.7:
        words.append("danceable")
    if (features.get("acousticness") or 0) >= 0.6:
        words.append("acoustic")
    if (features.get("instrumentalness") or 0) >= 0.5:
        words.append("instrumental")
    if (features.get("speechiness") or 0) >= 0.33:
        words.append("spoken word, rap vocals")
    if (features.get("liveness") or 0) >= 0.8:
        words.append("live recording")
    return words


def decade_words(year: int | None) -> list[str]:
    if year is None:
        return []
    decade = year // 10 * 10
    short = f"{decade % 100:02d}s"
    return [f"{decade}s", f"{short} music"]


def track_document(
    *,
    title: str,
    artists: Iterable[str],
    album: str = "",
    tags: Iterable[str] = (),
    release_year: int | None = None,
    features: Mapping[str, float | int | None] | None = None,
) -> str:
    """One line of text describing the track, ordered from most to least identifying."""
    features = features or {}
    parts = [f"{title} by {', '.join(artists)}"]
    if album:
        parts.append(f"album {album}")
    tag_list = sorted(set(tags))
    if tag_list:
        parts.append("genres and tags: " + ", ".join(tag_list))
    sound = [
        *tempo_words(features.get("tempo")),
        *energy_words(features.get("energy")),
        *mood_words(features.get("valence"), features.get("energy")),
        *character_words(features),
        *decade_words(release_year),
    ]
    if sound:
        parts.append("sound: " + ", ".join(sound))
    return ". ".join(parts)
