"""Server passwords and API keys, encrypted at rest (Fernet, keyed from settings).

The key is SUBSONIC_CREDENTIALS_KEY (a Fernet key), else derived from SECRET_KEY. Older keys in
SUBSONIC_CREDENTIALS_OLD_KEYS still decrypt, so a key change is: add the old key there, set the
new one, run ``manage.py subsonic_credentials_rotate`` (re-encrypts every stored secret), then
drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction

from catalog.models import SubsonicAccount, SubsonicLink
from config.errors import ApplicationError


@dataclass(frozen=True)
class Secret:
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)


def _fernet_for(key: str) -> Fernet:
    if key.startswith("secret-key:"):
        digest = hashlib.sha256(
            b"segue-subsonic-credentials|" + key.removeprefix("secret-key:").encode()
        ).digest()
        return Fernet(base64.urlsafe_b64encode(digest))
    return Fernet(key.encode())


def _keys() -> MultiFernet:
    current = settings.SUBSONIC_CREDENTIALS_KEY or f"secret-key:{settings.SECRET_KEY}"
    return MultiFernet([_fernet_for(key) for key in [current, *settings.SUBSONIC_CREDENTIALS_OLD_KEYS]])


def secret_encrypt(secret: Secret) -> str:
    payload = json.dumps({"password": secret.password, "api_key": secret.api_key}).encode()
    return _keys().encrypt(payload).decode()


def secret_decrypt(token: str) -> Secret:
    try:
        payload = json.loads(_keys().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise ApplicationError(
            "The stored server credentials cannot be decrypted (SUBSONIC_CREDENTIALS_KEY changed?); "
            "enter them again."
        ) from exc
    return Secret(password=str(payload.get("password", "")), api_key=str(payload.get("api_key", "")))


@transaction.atomic
def credentials_rotate() -> int:
    """Re-encrypt every stored secret with the current key; returns how many."""
    keys, count = _keys(), 0
    for model in (SubsonicAccount, SubsonicLink):
        for row in model.objects.select_for_update().only("pk", "credentials"):
            try:
                row.credentials = keys.rotate(row.credentials.encode()).decode()
            except InvalidToken:
                raise ApplicationError(
                    f"A stored credential ({model.__name__} {row.pk}) matches none of the keys; put the old "
                    "key in SUBSONIC_CREDENTIALS_OLD_KEYS. Nothing was changed."
                ) from None
            row.save(update_fields=["credentials"])
            count += 1
    return count
