"""Connecting to a Subsonic / OpenSubsonic server: the base URL, a checked login, a client for a
source's account or a listener's link. Server credentials are decrypted only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from catalog.models import SubsonicAccount, SubsonicLink
from catalog.subsonic.client import Credentials, ServerInfo, SubsonicClient, SubsonicError
from catalog.subsonic_secrets import Secret, secret_decrypt
from config.errors import ApplicationError


def base_url_clean(base_url: str) -> str:
    cleaned = base_url.strip().rstrip("/")
    if cleaned.endswith("/rest"):
        cleaned = cleaned.removesuffix("/rest")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApplicationError("Give the server's address, e.g. https://music.example.org")
    if parts.username or parts.password or parts.query:
        raise ApplicationError(
            "Give the address without a user, password or query; they go in their own fields."
        )
    return cleaned


@sensitive_variables("password", "api_key", "secret")
def _client(base_url: str, *, username: str, secret: Secret, auth_mode: str | None = None) -> SubsonicClient:
    return SubsonicClient(
        base_url,
        Credentials(username=username, password=secret.password, api_key=secret.api_key),
        auth_mode=auth_mode,  # type: ignore[arg-type]
        timeout=settings.SUBSONIC_TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class ServerChecked:
    info: ServerInfo
    auth_mode: str


@sensitive_variables("password", "api_key", "secret")
def server_check(*, base_url: str, username: str, password: str = "", api_key: str = "") -> ServerChecked:
    """Connect and check the credentials; ApplicationError with a sentence for the page."""
    if not api_key and not (username and password):
        raise ApplicationError("Give a user name and password, or an API key.")
    with _client(base_url, username=username, secret=Secret(password=password, api_key=api_key)) as client:
        try:
            info = client.connect()
        except SubsonicError as exc:
            raise ApplicationError(exc.message) from None
        return ServerChecked(info=info, auth_mode=client.auth_mode or "password")


def account_client(account: SubsonicAccount) -> SubsonicClient:
    return _client(
        account.source.base_url,
        username=account.username,
        secret=secret_decrypt(account.credentials),
        auth_mode=account.auth_mode,
    )


def link_client(link: SubsonicLink) -> SubsonicClient:
    return _client(
        link.source.base_url,
        username=link.username,
        secret=secret_decrypt(link.credentials),
        auth_mode=link.auth_mode,
    )
