""" "Download my data": a ZIP of everything held about a listener, built by a background job,
kept for DATA_EXPORT_TTL_HOURS, and failed by the stale sweep when its worker is lost."""

from __future__ import annotations

import json
import logging
import secrets
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import privacy
from accounts.consent import (
    consent_state,
)
from accounts.models import (
    DataExport,
    ExportStatus,
    User,
)
from accounts.pseudonyms import pseudonym_for
from config.jobs import LOST_WORKER_MESSAGE, job_claim, job_fail, job_finish, job_heartbeat, jobs_sweep_stale

logger = logging.getLogger(__name__)


# Fields never written to an export: secrets, even hashed.
# "credentials": a linked media server's encrypted password or API key (catalog.SubsonicLink).
EXPORT_REDACTED_FIELDS = frozenset({"password", "token_hash", "credentials"})
EXPORT_FOLDER = "exports"

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
    lost = Q(status=ExportStatus.RUNNING, started_at__lt=_export_lost_before())
    if not job_claim(DataExport, pk=export_id, claimable=Q(status=ExportStatus.QUEUED) | lost):
        return
    export = DataExport.objects.select_related("user").get(pk=export_id)
    relative = Path(EXPORT_FOLDER) / f"segue-export-{export.pk}-{secrets.token_hex(8)}.zip"
    target = Path(settings.MEDIA_ROOT) / relative

    def beat() -> None:
        job_heartbeat(DataExport.job_kind, export_id)

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
        job_fail(export, error=f"The export failed: {exc}")
        return
    export.file_path = str(relative)
    export.size_bytes = target.stat().st_size
    export.expires_at = now + timedelta(hours=settings.DATA_EXPORT_TTL_HOURS)
    if not job_finish(export, fields=("file_path", "size_bytes", "expires_at")):
        target.unlink(missing_ok=True)  # the stale sweep failed it meanwhile: its retry is a new export


def data_exports_sweep_stale(*, stale_after: timedelta) -> list[int]:
    """Fail the running exports whose worker was lost (no heartbeat for ``stale_after``) and
    delete their half-written ZIPs; asking for an export again is the retry."""

    def fail(export: DataExport) -> None:
        folder = Path(settings.MEDIA_ROOT) / EXPORT_FOLDER
        for partial in folder.glob(f"segue-export-{export.pk}-*.zip"):
            partial.unlink(missing_ok=True)
        export.file_path = ""
        job_fail(
            export, error=f"{LOST_WORKER_MESSAGE} Ask for your data again to retry.", fields=("file_path",)
        )

    return jobs_sweep_stale(
        kind=DataExport.job_kind,
        unfinished=DataExport.objects.filter(status=ExportStatus.RUNNING),
        started_field="started_at",
        stale_after=stale_after,
        fail=fail,
    )


def export_file_delete(export: DataExport) -> None:
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
        export_file_delete(export)
    DataExport.objects.filter(pk__in=[export.pk for export in expired]).update(
        status=ExportStatus.EXPIRED, file_path=""
    )
    return len(expired)
