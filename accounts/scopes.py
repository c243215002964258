"""Token scopes: what an API view declares, and the check every token request passes."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import exceptions

from accounts.models import PersonalAccessToken, TokenScope

# What most endpoints declare: safe methods need ``read``, the others ``write``.
READ_WRITE: Mapping[str, str] = {
    "GET": TokenScope.READ,
    "HEAD": TokenScope.READ,
    "OPTIONS": TokenScope.READ,
    "POST": TokenScope.WRITE,
    "PUT": TokenScope.WRITE,
    "PATCH": TokenScope.WRITE,
    "DELETE": TokenScope.WRITE,
}
READ_ONLY: Mapping[str, str] = {method: TokenScope.READ for method in ("GET", "HEAD", "OPTIONS")}


def scope_required(view: object, method: str) -> str | None:
    """The scope a token needs for ``method`` on ``view``; None: the view declares none, and then
    no token may call it.

    A view declares ``required_scope``: one scope for every method (``"feedback"``) or a mapping
    from HTTP method to scope (``READ_WRITE``, or ``{**READ_WRITE, "POST": "consent"}``).
    """
    declared = getattr(view, "required_scope", None)
    if isinstance(declared, str):
        return declared
    if isinstance(declared, Mapping):
        scope = declared.get(method.upper())
        return str(scope) if scope else None
    return None


def token_scope_check(*, token: PersonalAccessToken, view: object, method: str) -> None:
    """Raise PermissionDenied unless the view declares a scope for ``method`` and the token holds it.

    Called by the token authentication itself, so a view's own ``permission_classes`` cannot
    skip it.
    """
    required = scope_required(view, method)
    if required is None:
        raise exceptions.PermissionDenied("This endpoint does not accept API tokens.")
    if required not in token.scopes:
        raise exceptions.PermissionDenied(
            f"This token lacks the '{required}' scope; create a token with it on the tokens page."
        )
