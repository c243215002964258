"""API authentication with personal access tokens: ``Authorization: Bearer <token>``."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.models import PersonalAccessToken, User
from accounts.scopes import token_scope_check
from accounts.selectors import token_get_active
from accounts.services import token_mark_used

KEYWORD = b"bearer"


class PersonalAccessTokenAuthentication(BaseAuthentication):
    """``request.auth`` is the PersonalAccessToken; a token without the scope the view declares
    for the method (accounts.scopes) is refused with 403 here."""

    def authenticate(self, request: Request) -> tuple[User, PersonalAccessToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("The token is not valid.") from None
        token = token_get_active(raw=raw)
        if token is None:
            raise AuthenticationFailed("The token is not valid or has been revoked.")
        if not token.user.is_active:
            raise AuthenticationFailed("This account is disabled.")
        # Here rather than only in a permission class: a view's own permission_classes can't skip it.
        view = (getattr(request, "parser_context", None) or {}).get("view")
        token_scope_check(token=token, view=view, method=request.method or "GET")
        token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def token_from_request(request: Any) -> PersonalAccessToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, PersonalAccessToken) else None
