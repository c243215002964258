"""The one place every app asks whether a listener's data may be used for a purpose.

    consent_allows(user, ConsentPurpose.PERSONALIZATION)       -> bool
    consent_require(user, ConsentPurpose.LISTENING_HISTORY)    # raises ConsentRequired (HTTP 403)

The answer is derived from the append-only ledger (ConsentRecord): the latest answer given for
the purpose under the *current* policy version. No answer under the current policy counts as no
consent, so publishing a new policy pauses every purpose until the listener answers again.
Writes are ``accounts.services.consent_grant`` / ``consent_withdraw`` / ``consent_record_choices``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from accounts.models import ConsentPurpose, ConsentRecord, PolicyVersion
from config.errors import ApplicationError

PURPOSE_DESCRIPTIONS: dict[str, str] = {
    ConsentPurpose.PERSONALIZATION: (
        "Use what I play, skip and like, and the genres and artists I pick, to personalize my playlists."
    ),
    ConsentPurpose.LISTENING_HISTORY: (
        "Store my listening events (plays, skips, likes) and the listening history I import."
    ),
    ConsentPurpose.EXPERIMENTS: (
        "Include me in A/B tests of new recommendation methods (under a pseudonym, never my name)."
    ),
}


class ConsentRequired(PermissionDenied):
    """A purpose the listener has not consented to: the API answers 403 with this message.

    A subclass of DRF's PermissionDenied, so API views need no handling of their own; pages
    catch it (or let Django's 403 page show it).
    """

    default_code = "consent_required"

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        label = ConsentPurpose(purpose).label.lower()
        where = reverse("privacy:center")
        super().__init__(
            f"You have not consented to {label} ({purpose}), so Segue does not do this. "
            f"You can grant it on your privacy page ({where}) or with POST /api/privacy/consents/."
        )


def purpose_parse(value: Any) -> ConsentPurpose:
    """A purpose from user input; an unknown one is an ApplicationError (400), never a KeyError."""
    try:
        return ConsentPurpose(value)
    except ValueError:
        known = ", ".join(ConsentPurpose.values)
        raise ApplicationError(f"Unknown consent purpose {value!r}; the purposes are: {known}.") from None


def _published() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(published_at__lte=timezone.now()).order_by("-published_at", "-pk")


def policy_current() -> PolicyVersion | None:
    """The newest published policy (None before any is published)."""
    return _published().first()


POLICY_CACHE_KEY = "privacy:current-policy-id"
POLICY_CACHE_SECONDS = 60


def current_policy_id() -> int | None:
    """The current policy's id, cached briefly (``policy_publish`` clears it at once)."""
    policy_id = cache.get(POLICY_CACHE_KEY)
    if policy_id is None:
        policy = policy_current()
        policy_id = policy.pk if policy else 0
        cache.set(POLICY_CACHE_KEY, policy_id, POLICY_CACHE_SECONDS)
    return policy_id or None


def consent_state(user: Any, *, policy: PolicyVersion | None = None) -> dict[str, bool | None]:
    """Every purpose → True (granted), False (withdrawn) or None (not answered) under the policy."""
    state: dict[str, bool | None] = dict.fromkeys(ConsentPurpose.values)
    if user is None or not getattr(user, "is_authenticated", False):
        return state
    policy = policy or policy_current()
    if policy is None:
        return state
    latest = (
        ConsentRecord.objects.filter(user=user, policy_version=policy)
        .order_by("purpose", "-created_at", "-pk")
        .distinct("purpose")
        .values_list("purpose", "granted")
    )
    state.update(dict(latest))
    return state


def consent_allows(user: Any, purpose: str) -> bool:
    """Whether the user's current consent allows the purpose. Anonymous users: never."""
    purpose = ConsentPurpose(purpose)
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    # One query: the latest answer under the current policy (none published: no answer at all).
    current = _published().values("pk")[:1]
    latest = (
        ConsentRecord.objects.filter(user=user, policy_version=Subquery(current), purpose=purpose)
        .order_by("-created_at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)


def users_consenting(purpose: str) -> QuerySet[ConsentRecord, Any]:
    """The ids (``user_id`` values) of users whose latest answer for ``purpose`` under the current
    policy is a grant: for jobs that process many users at once (CF training)."""
    purpose = ConsentPurpose(purpose)
    current = _published().values("pk")[:1]
    latest = (
        ConsentRecord.objects.filter(policy_version=Subquery(current), purpose=purpose)
        .order_by("user_id", "-created_at", "-pk")
        .distinct("user_id")
        .values("pk")
    )
    return ConsentRecord.objects.filter(pk__in=latest, granted=True).values("user_id")


def consent_require(user: Any, purpose: str) -> None:
    """Raise ConsentRequired (HTTP 403 in the API) unless the user consents to the purpose."""
    if not consent_allows(user, purpose):
        raise ConsentRequired(purpose)


ANSWERED_CACHE_SECONDS = 60 * 60


def _answered_cache_key(user_id: int, policy_id: int) -> str:
    return f"privacy:answered:{user_id}:{policy_id}"


def consent_remember_answered(*, user_id: int, policy: PolicyVersion) -> None:
    """Note that the user answered every purpose of this policy (answers are never taken back)."""
    cache.set(POLICY_CACHE_KEY, policy.pk, POLICY_CACHE_SECONDS)
    cache.set(_answered_cache_key(user_id, policy.pk), True, ANSWERED_CACHE_SECONDS)


def consent_needs_answers(user: Any) -> bool:
    """True while some purpose has no answer under the current policy (onboarding, new policy).

    Cached per user and policy once everything is answered: the check runs on every page.
    """
    policy_id = current_policy_id()
    if policy_id is None or not getattr(user, "is_authenticated", False):
        return False
    if cache.get(_answered_cache_key(user.pk, policy_id)):
        return False
    policy = PolicyVersion.objects.filter(pk=policy_id).first()
    if policy is None:
        return False
    if any(answer is None for answer in consent_state(user, policy=policy).values()):
        return True
    consent_remember_answered(user_id=user.pk, policy=policy)
    return False
