"""Signed, expiring stream links: exported playlists and external players play without a session.

A link carries ``?token=…``: the track id and an expiry time, signed with ``SECRET_KEY`` (a salt
of its own, so no other signed value of the app can stand in for it). Changing ``SECRET_KEY``
invalidates every link given out.
"""

from __future__ import annotations

import time

from django.core import signing
from django.urls import reverse

_SIGNER_SALT = "segue.catalog.stream-link"


def stream_token(*, track_id: int, ttl_seconds: int, now: float | None = None) -> str:
    """A token that lets anyone holding it stream ``track_id`` for ``ttl_seconds``."""
    expires = int((time.time() if now is None else now) + ttl_seconds)
    return signing.Signer(salt=_SIGNER_SALT).sign(f"{track_id}.{expires}")


def stream_token_problem(token: str, *, track_id: int, now: float | None = None) -> str | None:
    """Why ``token`` does not let its holder stream ``track_id`` (a sentence), or None when it does."""
    try:
        value = signing.Signer(salt=_SIGNER_SALT).unsign(token)
    except signing.BadSignature:
        return "This stream link is not valid (it was altered or not made here)."
    signed_track, _, expires = value.partition(".")
    if signed_track != str(track_id) or not expires.isdigit():
        return "This stream link is for another track."
    if int(expires) < (time.time() if now is None else now):
        return "This stream link has expired; export the playlist again for fresh links."
    return None


def stream_token_allows(token: str, *, track_id: int, now: float | None = None) -> bool:
    """True when ``token`` was signed here for this track and has not expired."""
    return stream_token_problem(token, track_id=track_id, now=now) is None


def signed_stream_path(*, track_id: int, ttl_seconds: int) -> str:
    """The stream URL's path with its token, e.g. ``/tracks/12/stream?token=…``."""
    path = reverse("stream:track", args=[track_id])
    return f"{path}?token={stream_token(track_id=track_id, ttl_seconds=ttl_seconds)}"
