"""Every write to accounts data: users, consent ledger, tokens, retention, erasure
(data exports: accounts.exports)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import privacy
from accounts.consent import (
    POLICY_CACHE_KEY,
    consent_remember_answered,
    consent_state,
    policy_current,
    purpose_parse,
)
from accounts.exports import data_exports_expire, export_file_delete
from accounts.lockout import password_verify
from accounts.models import (
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    DataExport,
    PersonalAccessToken,
    PolicyVersion,
    Role,
    TokenScope,
    User,
)
from accounts.policy_text import INITIAL_TEXT, INITIAL_VERSION
from accounts.selectors import token_get, token_hash
from config.errors import ApplicationError

TOKEN_PREFIX = "seg_"
MAX_ACTIVE_TOKENS = 20


# --- users ----------------------------------------------------------------------------------------


@transaction.atomic
def user_create(*, email: str, password: str, role: Role = Role.LISTENER, display_name: str = "") -> User:
    normalized = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=normalized).exists():
        raise ApplicationError(f"An account for {normalized} already exists.")
    user = User.objects.create_user(
        normalized,
        password,
        display_name=display_name,
        is_staff=role == Role.STAFF,
    )
    # The role groups come from a data migration (accounts/migrations/0002_roles.py).
    user.groups.add(Group.objects.get(name=role.value))
    return user


SIGNUP_SALT = "segue.accounts.signup"


def signup_start(*, email: str, password: str, display_name: str, confirm_url: Callable[[str], str]) -> None:
    """Mail the address a link that creates the account, or, when it has one already, a note
    saying so: the sign-up page answers both the same way, so it reveals no registered address.

    Nothing is stored until the link is followed; the link carries the password's hash (signed,
    never the password) and expires after SIGNUP_LINK_HOURS.
    """
    normalized = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=normalized).exists():
        body = render_to_string(
            "accounts/signup_exists_email.txt",
            {"email": normalized, "login_url": confirm_url(""), "hours": settings.SIGNUP_LINK_HOURS},
        )
        send_mail("Your Segue account", body, None, [normalized])
        return
    token = signing.dumps(
        {"email": normalized, "name": display_name, "password": make_password(password)},
        salt=SIGNUP_SALT,
        compress=True,
    )
    body = render_to_string(
        "accounts/signup_email.txt",
        {"email": normalized, "confirm_url": confirm_url(token), "hours": settings.SIGNUP_LINK_HOURS},
    )
    send_mail("Finish signing up to Segue", body, None, [normalized])


@transaction.atomic
def signup_confirm(*, token: str) -> User:
    """The account a sign-up link asked for, created now; ApplicationError for a bad, expired or
    already used link."""
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=timedelta(hours=settings.SIGNUP_LINK_HOURS))
    except signing.SignatureExpired:
        raise ApplicationError("This sign-up link has expired; sign up again for a fresh one.") from None
    except signing.BadSignature:
        raise ApplicationError("This sign-up link is not valid; sign up again.") from None
    if User.objects.filter(email__iexact=data["email"]).exists():
        raise ApplicationError("This link was used already: the account exists. Log in instead.")
    user = user_create(email=data["email"], password="", display_name=data["name"])
    user.password = data["password"]
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_ensure(*, email: str, password: str, role: Role, display_name: str = "") -> tuple[User, bool]:
    """Return the user with this e-mail, creating it with the role if missing (demo set-up)."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    return user_create(email=email, password=password, role=role, display_name=display_name), True


# --- policy and consent -----------------------------------------------------------------------------


@transaction.atomic
def policy_publish(*, version: str, text: str) -> PolicyVersion:
    """Publish a new policy: every listener is asked for their consents again at their next visit."""
    version = version.strip()
    if not version or not text.strip():
        raise ApplicationError("A policy needs a version and a text.")
    if PolicyVersion.objects.filter(version=version).exists():
        raise ApplicationError(f"Policy version {version} already exists.")
    policy = PolicyVersion.objects.create(version=version, text=text, published_at=timezone.now())
    # Now for this process, and again at commit in case another process re-cached the old one.
    cache.delete(POLICY_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(POLICY_CACHE_KEY))
    return policy


@transaction.atomic
def policy_ensure_initial() -> PolicyVersion:
    """The current policy; the initial one is published if none is (a flushed database)."""
    policy = policy_current()
    if policy is not None:
        return policy
    policy, _ = PolicyVersion.objects.get_or_create(
        version=INITIAL_VERSION, defaults={"text": INITIAL_TEXT, "published_at": timezone.now()}
    )
    cache.delete(POLICY_CACHE_KEY)
    return policy


def _current_policy_or_error() -> PolicyVersion:
    policy = policy_current()
    if policy is None:
        raise ApplicationError("No privacy policy is published yet, so no consent can be recorded.")
    return policy


def _consent_append(
    *, user: User, purpose: ConsentPurpose, granted: bool, method: str, policy: PolicyVersion
) -> ConsentRecord:
    record = ConsentRecord.objects.create(
        user=user,
        purpose=purpose,
        granted=granted,
        policy_version=policy,
        text_hash=policy.text_hash,
        method=method,
    )
    if not granted:
        # What was built under the purpose stops now (e.g. CF factors), not at the next job.
        for hook in privacy.withdrawal_hooks(purpose):
            hook(user=user)
    return record


@transaction.atomic
def consent_grant(*, user: User, purpose: str, method: str = ConsentMethod.WEB) -> ConsentRecord:
    policy = _current_policy_or_error()
    return _consent_append(
        user=user, purpose=purpose_parse(purpose), granted=True, method=method, policy=policy
    )


@transaction.atomic
def consent_withdraw(*, user: User, purpose: str, method: str = ConsentMethod.WEB) -> ConsentRecord:
    """Withdraw a consent; it takes effect on the next request (every check reads the ledger)."""
    policy = _current_policy_or_error()
    return _consent_append(
        user=user, purpose=purpose_parse(purpose), granted=False, method=method, policy=policy
    )


@transaction.atomic
def consent_record_choices(
    *, user: User, choices: Mapping[str, bool], method: str = ConsentMethod.WEB
) -> list[ConsentRecord]:
    """Record an answer for every purpose at once (onboarding, a new policy): all or nothing."""
    parsed = {purpose_parse(purpose): bool(granted) for purpose, granted in choices.items()}
    missing = [purpose.label for purpose in ConsentPurpose if purpose not in parsed]
    if missing:
        raise ApplicationError(f"Please answer yes or no for: {', '.join(missing)}.")
    policy = _current_policy_or_error()
    current = consent_state(user, policy=policy)
    records = [
        _consent_append(user=user, purpose=purpose, granted=granted, method=method, policy=policy)
        for purpose, granted in parsed.items()
        # An unchanged answer under the same policy adds nothing to the ledger.
        if current[purpose] is not granted
    ]
    consent_remember_answered(user_id=user.pk, policy=policy)
    return records


@transaction.atomic
def purpose_data_erase(*, user: User, purpose: str) -> int:
    """Delete what was stored under a purpose (after withdrawing it); returns rows deleted."""
    parsed = purpose_parse(purpose)
    return sum(eraser(user=user) for eraser in privacy.purpose_erasers(parsed))


# --- personal access tokens -------------------------------------------------------------------------


@transaction.atomic
def token_create(*, user: User, name: str, scopes: Iterable[str]) -> tuple[PersonalAccessToken, str]:
    """Create a token; returns it with its secret value, which is never stored nor shown again."""
    name = name.strip()
    if not name:
        raise ApplicationError("Give the token a name, so you can recognize it later.")
    scope_list = sorted(set(scopes))
    unknown = [scope for scope in scope_list if scope not in TokenScope.values]
    if unknown or not scope_list:
        raise ApplicationError(f"Choose one or more scopes among: {', '.join(TokenScope.values)}.")
    if PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=user, name=name[:100], prefix=raw[:10], token_hash=token_hash(raw), scopes=scope_list
    )
    return token, raw


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> PersonalAccessToken:
    """Revoke one of the user's tokens (another user's is a 404); revoking twice is harmless."""
    token = token_get(user=user, token_id=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_mark_used(*, token: PersonalAccessToken) -> None:
    """Record when a token was last used, at most once a minute (no write on every request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- retention --------------------------------------------------------------------------------------


def retention_purge() -> int:
    """Run every retention hook with the cutoff of EVENT_RETENTION_DAYS; expire old exports and sessions."""
    cutoff = timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS)
    purged = 0
    for hook in privacy.retention_hooks():
        with transaction.atomic():
            purged += hook(cutoff=cutoff)
    _expired_sessions_clear()
    return purged + data_exports_expire()


# --- erasure ----------------------------------------------------------------------------------------


def account_erasure_request(*, user: User, password: str, request: HttpRequest) -> None:
    """Confirm with the password, disable the account at once, and queue the erasure job.

    A wrong password counts toward the login lockout; it is checked outside the transaction so
    the failed attempt is recorded even though nothing else is written.
    """
    from accounts.tasks import erase_account

    if not password_verify(request=request, user=user, password=password):
        raise ApplicationError("That password is not right; your account was not deleted.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        erase_account.delay_on_commit(user_id=user.pk)


def _sessions_delete(user_id: int) -> None:
    """Delete the user's sessions: expired ones go in one statement, live ones are decoded.

    Sessions keep the user id inside their encoded data: no relation finds them, so only the
    live sessions are read one by one, in chunks.
    """
    _expired_sessions_clear()
    live = Session.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
    doomed = [
        session.pk
        for session in live.iterator(chunk_size=2000)
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id)
    ]
    Session.objects.filter(pk__in=doomed).delete()


def _expired_sessions_clear() -> None:
    """Django's own cleanup (the ``clearsessions`` command) for the configured session engine."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


LOGIN_RECORD_FIELDS = ("attempt_time", "ip_address", "user_agent", "path_info")


def login_attempts_export(*, user: User) -> dict[str, list[dict[str, Any]]]:
    """Export part: the lockout's records of logins and password checks for the user's e-mail
    (failures, lockouts, successful logins); the submitted form data is left out."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    def rows(model: type[models.Model], *extra: str) -> list[dict[str, Any]]:
        records = model._default_manager.filter(username__iexact=user.email).order_by("attempt_time")
        return list(records.values(*LOGIN_RECORD_FIELDS, *extra))

    return {
        "failed_attempts": rows(AccessFailureLog, "locked_out"),
        "lockout_counters": rows(AccessAttempt, "failures_since_start"),
        "logins": rows(AccessLog, "logout_time"),
    }


def _login_attempts_delete(email: str) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=email).delete()


@transaction.atomic
def account_erase(*, user_id: int) -> bool:
    """Erase a user and everything held about them. Idempotent: a missing user is done.

    Order: apps' erasure hooks first (they may fold events into anonymous per-track counts
    while the rows still exist), then export files, sessions and login attempts, then every row
    reachable by a relation (protecting keys included), then the user row with its cascades.
    """
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return False
    for hook in privacy.erasure_hooks():
        hook(user=user)
    for export in DataExport.objects.filter(user=user):
        export_file_delete(export)
    _sessions_delete(user.pk)
    _login_attempts_delete(user.email)
    # Cascades delete most rows with the user; rows whose key would block the delete (PROTECT,
    # RESTRICT, DO_NOTHING) go explicitly. SET_NULL rows are shared records that lose the link.
    for relation in privacy.user_relations():
        if relation.direct:
            relation.queryset_for(user).filter(_blocking_condition(relation.model, user)).delete()
    user.delete()
    return True


def _blocking_condition(model: type[models.Model], user: User) -> models.Q:
    condition = models.Q(pk__in=[])
    for field in model._meta.concrete_fields:
        if (
            isinstance(field, models.ForeignKey)
            and field.related_model is User
            and field.remote_field.on_delete not in (models.CASCADE, models.SET_NULL, models.SET_DEFAULT)
        ):
            condition |= models.Q(**{field.name: user})
    return condition
