"""Per-event validation of a batch of listening events (no Django imports).

A batch is checked event by event: a malformed one gets an error entry (its index, its id when
readable, the field and a message) and the others go on. What needs the database (does the
track exist, is the playlist version the caller's) is checked by the service afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from feedback.learning.event_weights import EVENT_KINDS

MAX_BATCH = 500
# Client clocks drift: up to this far ahead of the server is accepted (and clamped to now).
FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST = datetime(2000, 1, 1).astimezone()
DEVICES = ("web", "mobile", "desktop", "speaker", "other")
MAX_POSITION_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class EventIn:
    index: int
    client_event_id: uuid.UUID
    kind: str
    track_id: int
    occurred_at: datetime
    playlist_id: int | None = None
    version_number: int | None = None
    position: int | None = None
    position_ms: int | None = None
    ms_played: int | None = None  # audio actually heard, pauses and seeks excluded
    device: str = ""
    local_hour: int | None = None


@dataclass(frozen=True)
class EventError:
    index: int
    id: str | None
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "field": self.field, "message": self.message}


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _integer(raw: dict[str, Any], name: str, *, low: int, high: int, required: bool = False) -> int | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise _Invalid(name, "This field is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Invalid(name, "Must be an integer.")
    try:
        number = int(value)
    except ValueError:
        raise _Invalid(name, "Must be an integer.") from None
    if not low <= number <= high:
        raise _Invalid(name, f"Must be between {low} and {high}.")
    return number


def _timestamp(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise _Invalid(
            "occurred_at", "Give an ISO 8601 timestamp with a time zone, e.g. 2026-11-25T15:04:05Z."
        )
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _Invalid("occurred_at", f"Not an ISO 8601 timestamp: {value[:40]!r}.") from None
    if moment.tzinfo is None:
        raise _Invalid("occurred_at", "The timestamp needs a time zone (e.g. Z or +01:00).")
    if moment > now + FUTURE_TOLERANCE:
        raise _Invalid("occurred_at", "The timestamp is in the future.")
    if moment < OLDEST:
        raise _Invalid("occurred_at", "The timestamp is before 2000.")
    return min(moment, now)


def _parse(index: int, raw: dict[str, Any], now: datetime) -> EventIn:
    try:
        client_id = uuid.UUID(str(raw.get("id", "")))
    except ValueError:
        raise _Invalid(
            "id", "Give a UUID as the event id (the client makes it; a repeat is ignored)."
        ) from None
    kind = raw.get("kind")
    if kind not in EVENT_KINDS:
        raise _Invalid("kind", f"Unknown event kind {kind!r}; the kinds are: {', '.join(EVENT_KINDS)}.")
    track_id = _integer(raw, "track", low=1, high=2**31 - 1, required=True)
    playlist_id = _integer(raw, "playlist", low=1, high=2**31 - 1)
    version_number = _integer(raw, "version", low=1, high=2**31 - 1)
    if (playlist_id is None) != (version_number is None):
        raise _Invalid("version", "Give both 'playlist' and 'version' (its number), or neither.")
    device = raw.get("device") or ""
    if device not in ("", *DEVICES):
        raise _Invalid("device", f"Unknown device {device!r}; the kinds are: {', '.join(DEVICES)}.")
    assert track_id is not None
    return EventIn(
        index=index,
        client_event_id=client_id,
        kind=kind,
        track_id=track_id,
        occurred_at=_timestamp(raw.get("occurred_at"), now),
        playlist_id=playlist_id,
        version_number=version_number,
        position=_integer(raw, "position", low=1, high=10_000),
        position_ms=_integer(raw, "position_ms", low=0, high=MAX_POSITION_MS),
        ms_played=_integer(raw, "ms_played", low=0, high=MAX_POSITION_MS),
        device=device,
        local_hour=_integer(raw, "local_hour", low=0, high=23),
    )


def events_parse(raw_events: list[Any], *, now: datetime) -> tuple[list[EventIn], list[EventError]]:
    """Valid events (first occurrence of each id) and an error per invalid one."""
    valid: list[EventIn] = []
    errors: list[EventError] = []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            errors.append(EventError(index, None, "non_field_errors", "Each event must be a JSON object."))
            continue
        try:
            valid.append(_parse(index, raw, now))
        except _Invalid as invalid:
            raw_id = raw.get("id")
            errors.append(
                EventError(
                    index, str(raw_id)[:64] if raw_id is not None else None, invalid.field, invalid.message
                )
            )
    return valid, errors
