"""Every write to accounts data: users, consent ledger, taste seeds, tokens, exports, erasure."""

from __future__ import annotations

import json
import logging
import secrets
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import serializers, signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
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
from accounts.lockout import password_verify
from accounts.models import (
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    DataExport,
    ExportStatus,
    PersonalAccessToken,
    PolicyVersion,
    Role,
    TasteSeed,
    TokenScope,
    User,
)
from accounts.policy_text import INITIAL_TEXT, INITIAL_VERSION
from accounts.pseudonyms import pseudonym_for
from accounts.selectors import token_get, token_hash
from catalog.models import Artist, Tag
from config.errors import ApplicationError
from config.jobs import LOST_WORKER_MESSAGE, job_heartbeat, jobs_sweep_stale

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "seg_"
MAX_ACTIVE_TOKENS = 20
MAX_TASTE_SEEDS = 20
# Fields never written to an export: secrets, even hashed.
# "credentials": a linked media server's encrypted password or API key (catalog.SubsonicLink).
EXPORT_REDACTED_FIELDS = frozenset({"password", "token_hash", "credentials"})
EXPORT_FOLDER = "exports"


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


# --- onboarding taste seeds -------------------------------------------------------------------------


@transaction.atomic
def taste_seeds_set(*, user: User, tag_ids: Iterable[int], artist_ids: Iterable[int]) -> list[TasteSeed]:
    """Replace the listener's favourite genres and artists (seeds for a new listener's taste)."""
    tag_ids, artist_ids = set(tag_ids), set(artist_ids)
    if len(tag_ids) + len(artist_ids) > MAX_TASTE_SEEDS:
        raise ApplicationError(f"Pick at most {MAX_TASTE_SEEDS} genres and artists in all.")
    tags = list(Tag.objects.filter(pk__in=tag_ids))
    artists = list(Artist.objects.filter(pk__in=artist_ids))
    if len(tags) != len(tag_ids) or len(artists) != len(artist_ids):
        raise ApplicationError("Some of the chosen genres or artists do not exist (any more).")
    TasteSeed.objects.filter(user=user).delete()
    return TasteSeed.objects.bulk_create(
        [TasteSeed(user=user, tag=tag) for tag in tags] + [TasteSeed(user=user, artist=a) for a in artists]
    )


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


# --- download my data -------------------------------------------------------------------------------


@transaction.atomic
def data_export_request(*, user: User) -> DataExport:
    """Queue a ZIP of everything held about the user; an export already under way is reused."""
    from accounts.tasks import build_data_export

    active = (
        DataExport.objects.select_for_update()
        .filter(user=user)
        .filter(
            Q(status=ExportStatus.QUEUED)
            | Q(status=ExportStatus.RUNNING, started_at__gte=_export_lost_before())
        )
    )
    existing = active.first()
    if existing is not None:
        return existing
    export = DataExport.objects.create(user=user)
    build_data_export.delay_on_commit(export_id=export.pk)
    return export


class _ExportEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if hasattr(o, "tolist"):  # numpy arrays and pgvector values (taste vectors, factors)
            return o.tolist()
        if isinstance(o, set | frozenset):
            return sorted(o)
        return super().default(o)


def _dump(data: Any) -> str:
    return json.dumps(data, cls=_ExportEncoder, indent=2, ensure_ascii=False)


def _rows(queryset: models.QuerySet[Any]) -> list[dict[str, Any]]:
    rows = serializers.serialize("python", queryset.order_by("pk"))
    for row in rows:
        for name in EXPORT_REDACTED_FIELDS & row["fields"].keys():
            del row["fields"][name]
    privacy.name_track_references(rows, queryset.model)
    return rows


def export_contents(*, user: User, on_progress: Callable[[], object] | None = None) -> dict[str, Any]:
    """The export's files (name → JSON-serializable data), before zipping; ``on_progress`` is
    called after each kind of record (the job's heartbeat)."""
    files: dict[str, Any] = {
        "account.json": {
            "email": user.email,
            "display_name": user.display_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "is_staff": user.is_staff,
            "pseudonym": pseudonym_for(user),
        },
        "consent_state.json": consent_state(user),
    }
    for relation in privacy.user_relations():
        files[f"data/{relation.label}.json"] = _rows(relation.queryset_for(user))
        if on_progress is not None:
            on_progress()
    for name, part in privacy.export_parts().items():
        files[f"extra/{name}.json"] = part(user=user)
        if on_progress is not None:
            on_progress()
    return files


EXPORT_README = """Segue data export for {email}, made {made}.

account.json         your account (no password)
consent_state.json   your current answer per consent purpose
data/<model>.json    every kind of record Segue holds about you, one file each (rows as
                     Django serializes them: model, primary key, fields); beside each track id
                     (e.g. "track") its name as "title — artists" (e.g. "track_name")
extra/<part>.json    data kept outside those records (e.g. derived model factors)
"""


def _export_lost_before() -> datetime:
    from accounts.tasks import EXPORT_TIME_LIMIT_SECONDS

    return timezone.now() - timedelta(seconds=EXPORT_TIME_LIMIT_SECONDS)


def data_export_build(*, export_id: int) -> None:
    """Build the ZIP of one queued export. Idempotent: only a queued export is picked up, or
    one whose run died with its worker (still "running" past the task's time limit)."""
    job_heartbeat(DATA_EXPORT_JOB, export_id)
    lost = Q(status=ExportStatus.RUNNING, started_at__lt=_export_lost_before())
    claimed = (
        DataExport.objects.filter(pk=export_id)
        .filter(Q(status=ExportStatus.QUEUED) | lost)
        .update(status=ExportStatus.RUNNING, started_at=timezone.now())
    )
    if claimed != 1:
        return
    export = DataExport.objects.select_related("user").get(pk=export_id)
    relative = Path(EXPORT_FOLDER) / f"segue-export-{export.pk}-{secrets.token_hex(8)}.zip"
    target = Path(settings.MEDIA_ROOT) / relative

    def beat() -> None:
        job_heartbeat(DATA_EXPORT_JOB, export_id)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        contents = export_contents(user=export.user, on_progress=beat)
        now = timezone.now()
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "README.txt", EXPORT_README.format(email=export.user.email, made=now.isoformat())
            )
            for name, data in contents.items():
                archive.writestr(name, _dump(data))
                beat()
    except Exception as exc:
        logger.exception("Data export %s failed", export_id)
        target.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=f"The export failed: {exc}", finished_at=timezone.now()
        )
        return
    finished = DataExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.READY,
        file_path=str(relative),
        size_bytes=target.stat().st_size,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.DATA_EXPORT_TTL_HOURS),
    )
    if finished != 1:  # the stale sweep failed it meanwhile: its retry is a new export
        target.unlink(missing_ok=True)


DATA_EXPORT_JOB = "data_export"  # its heartbeat kind (config.jobs)


def data_exports_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the running exports whose worker was lost (no heartbeat for ``stale_after``) and
    delete their half-written ZIPs; asking for an export again is the retry."""

    def fail(export: DataExport) -> None:
        folder = Path(settings.MEDIA_ROOT) / EXPORT_FOLDER
        for partial in folder.glob(f"segue-export-{export.pk}-*.zip"):
            partial.unlink(missing_ok=True)
        export.status = ExportStatus.FAILED
        export.error = f"{LOST_WORKER_MESSAGE} Ask for your data again to retry."
        export.file_path = ""
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "file_path", "finished_at"])

    return jobs_sweep_stale(
        kind=DATA_EXPORT_JOB,
        unfinished=DataExport.objects.filter(status=ExportStatus.RUNNING),
        started_field="started_at",
        stale_after=stale_after,
        fail=fail,
    )


def _export_file_delete(export: DataExport) -> None:
    if export.file_path:
        (Path(settings.MEDIA_ROOT) / export.file_path).unlink(missing_ok=True)


@transaction.atomic
def data_exports_expire() -> int:
    """Delete the ZIPs of exports past their expiry; returns how many expired."""
    expired = list(
        DataExport.objects.select_for_update(skip_locked=True).filter(
            status=ExportStatus.READY, expires_at__lte=timezone.now()
        )
    )
    for export in expired:
        _export_file_delete(export)
    DataExport.objects.filter(pk__in=[export.pk for export in expired]).update(
        status=ExportStatus.EXPIRED, file_path=""
    )
    return len(expired)


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
        _export_file_delete(export)
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
