from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from config.jobs import BackgroundJob


class Role(models.TextChoices):
    """Roles are Django groups of these names (created by a data migration)."""

    LISTENER = "listener", "Listener"
    CURATOR = "curator", "Curator"
    STAFF = "staff", "Staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Logins are case-insensitive, like the unique constraint on e-mail.
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A Segue account; the e-mail address is the login."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def has_role(self, role: Role) -> bool:
        if self.is_superuser:
            return True
        return self.groups.filter(name=role.value).exists()

    @cached_property
    def is_curator(self) -> bool:
        return self.is_staff or self.has_role(Role.CURATOR)


# --- consent ------------------------------------------------------------------------------------


class ConsentPurpose(models.TextChoices):
    """What a listener's data may be used for; each is consented to separately."""

    PERSONALIZATION = "personalization", "Personalization"
    LISTENING_HISTORY = "listening_history", "Listening history"
    EXPERIMENTS = "experiments", "Experiments"


class ConsentMethod(models.TextChoices):
    WEB = "web", "Web page"
    API = "api", "API"
    DEMO = "demo", "Demo set-up"


class PolicyVersion(models.Model):
    """A published privacy policy text. The newest one published is the current policy."""

    version = models.CharField(max_length=40, unique=True)
    text = models.TextField()
    published_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-published_at", "-pk")

    def __str__(self) -> str:
        return f"Policy {self.version}"

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class ConsentRecord(models.Model):
    """One answer in the append-only consent ledger; the current state is its latest answer.

    Rows are never updated (a database trigger refuses UPDATE); they go only with the user.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="consent_records"
    )
    # SHA-256 of the policy text the listener was shown, so a later edit of the text is evident.
    text_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8, choices=ConsentMethod.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["user", "policy_version", "purpose", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=ConsentPurpose.values), name="consent_purpose_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'granted' if self.granted else 'withdrawn'}"


# --- API tokens ---------------------------------------------------------------------------------


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    FEEDBACK = "feedback", "Feedback"
    # Granting or withdrawing a consent purpose: never implied by "write".
    CONSENT = "consent", "Consent changes"


class PersonalAccessToken(models.Model):
    """An API token. Only its SHA-256 is stored; the token itself is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    # The token's first characters, shown in lists so a listener can tell tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=16, choices=TokenScope.choices))
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__contained_by=TokenScope.values) & ~models.Q(scopes=[]),
                name="token_scopes_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --- data export --------------------------------------------------------------------------------


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class DataExport(BackgroundJob):
    """A "download my data" job: a ZIP of JSON files under MEDIA_ROOT, for its owner only.

    Its statuses name what the listener sees: "ready" (to download) for succeeded, and
    "expired" once its ZIP is deleted."""

    job_kind = "data_export"
    owner_field = "user"
    succeeded_status = ExportStatus.READY

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    # Relative to MEDIA_ROOT; empty until the ZIP is built and again once it is deleted.
    file_path = models.CharField(max_length=300, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    def is_expired(self, *, now: datetime | None = None) -> bool:
        if self.status == ExportStatus.EXPIRED:
            return True
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class EraseOffer(models.Model):
    """An open offer to delete what was stored under a purpose the listener withdrew.

    Opened by the withdrawal (a withdrawal hook, in its transaction); it stays on the privacy
    page until the listener answers — delete, or keep — so a reload does not lose it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="erase_offers")
    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")
        constraints = [models.UniqueConstraint(fields=["user", "purpose"], name="erase_offer_user_purpose")]

    def __str__(self) -> str:
        return f"erase offer {self.purpose} for user {self.user_id}"
