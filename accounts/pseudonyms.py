"""Pseudonymous ids for analytics: a keyed hash of the user id, never the id or e-mail itself.

Experiment assignments, metrics and other analytic tables store ``pseudonym_for(user)``. The
key is ``PSEUDONYM_SALT`` (default derived from SECRET_KEY), so a pseudonym cannot be turned
back into a user without the key; after erasure the user row is gone and the pseudonym links
to no one.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

PSEUDONYM_LENGTH = 32


def _salt() -> bytes:
    salt = settings.PSEUDONYM_SALT or f"segue-pseudonym:{settings.SECRET_KEY}"
    return hashlib.sha256(salt.encode("utf-8")).digest()


def pseudonym_for(user: object) -> str:
    """A stable 32-hex-character pseudonym for a user (or a user id)."""
    user_id = user if isinstance(user, int) else getattr(user, "pk", None)
    if not isinstance(user_id, int):
        raise ValueError("pseudonym_for needs a saved user or a user id.")
    digest = hmac.new(_salt(), f"user:{user_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]
