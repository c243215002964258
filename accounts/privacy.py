"""What Segue holds about a user, found generically, plus hooks for what a relation can't find.

**Discovery.** ``user_relations()`` walks Django's app registry: every model with a foreign key
(or one-to-one, or a many-to-many's through table) to the user model, and every model owned
through such a model (a cascading foreign key to it, up to ``MAX_OWNERSHIP_DEPTH`` levels).
Models other apps add later (playlists, events, taste profiles) are covered by export,
erasure and the privacy center's counts with no change here.

**Hooks** for data no relation reaches — call them from your ``AppConfig.ready()``:

- ``register_export_part(name, fn)``: ``fn(*, user) -> JSON-serializable``; written to
  ``extra/<name>.json`` in the ZIP (e.g. CF factors kept outside the database).
- ``register_erasure_hook(fn)``: ``fn(*, user) -> None``; runs *before* the user's rows are
  deleted (fold events into anonymous per-track counts, drop caches and factors keyed by user).
- ``register_purpose_eraser(purpose, fn)``: ``fn(*, user) -> int``; deletes what was stored
  under a purpose when the listener withdraws it and asks for the data to go (rows deleted).
- ``register_withdrawal_hook(purpose, fn)``: ``fn(*, user) -> None``; runs in the transaction
  that records a withdrawal of ``purpose``, for what must stop at once (e.g. CF factors built
  under ``personalization``), whether or not the listener asks for the data to go.
- ``register_retention_hook(fn)``: ``fn(*, cutoff: datetime) -> int``; aggregates and purges
  raw data older than ``cutoff`` (``EVENT_RETENTION_DAYS``); returns rows purged.

**Names, not bare ids.** In the export, every key to a catalog track (events, affinities,
playlist items, exclusions…) keeps the track's id and gains ``<field>_name``: "title — artists",
so a listener can read what they played without the catalog (``name_track_references``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from accounts.privacy_words import data_kind

ExportPart = Callable[..., Any]
ErasureHook = Callable[..., None]
PurposeEraser = Callable[..., int]
RetentionHook = Callable[..., int]

MAX_OWNERSHIP_DEPTH = 3

_export_parts: dict[str, ExportPart] = {}
_erasure_hooks: list[ErasureHook] = []
_purpose_erasers: dict[str, list[PurposeEraser]] = {}
_retention_hooks: list[RetentionHook] = []
_withdrawal_hooks: dict[str, list[ErasureHook]] = {}


def register_export_part(name: str, part: ExportPart) -> None:
    _export_parts[name] = part


def register_erasure_hook(hook: ErasureHook) -> None:
    if hook not in _erasure_hooks:
        _erasure_hooks.append(hook)


def register_purpose_eraser(purpose: str, eraser: PurposeEraser) -> None:
    erasers = _purpose_erasers.setdefault(str(purpose), [])
    if eraser not in erasers:
        erasers.append(eraser)


def register_withdrawal_hook(purpose: str, hook: ErasureHook) -> None:
    hooks = _withdrawal_hooks.setdefault(str(purpose), [])
    if hook not in hooks:
        hooks.append(hook)


def withdrawal_hooks(purpose: str) -> list[ErasureHook]:
    return list(_withdrawal_hooks.get(str(purpose), ()))


def register_retention_hook(hook: RetentionHook) -> None:
    if hook not in _retention_hooks:
        _retention_hooks.append(hook)


def export_parts() -> dict[str, ExportPart]:
    return dict(_export_parts)


def erasure_hooks() -> list[ErasureHook]:
    return list(_erasure_hooks)


def purpose_erasers(purpose: str) -> list[PurposeEraser]:
    return list(_purpose_erasers.get(str(purpose), ()))


def retention_hooks() -> list[RetentionHook]:
    return list(_retention_hooks)


@dataclass(frozen=True)
class UserRelation:
    """A model holding user data and its lookups to the user (``user``, ``playlist__owner``)."""

    model: type[models.Model]
    lookups: tuple[str, ...]
    # Whether the model has a foreign key to the user model itself (else it is owned indirectly).
    direct: bool

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def kind(self) -> str:
        return data_kind(self.label, str(self.model._meta.verbose_name_plural)).label

    def queryset_for(self, user: Any) -> models.QuerySet[Any]:
        condition = reduce(or_, (models.Q(**{lookup: user}) for lookup in self.lookups))
        queryset = self.model._default_manager.filter(condition)
        return queryset.distinct() if len(self.lookups) > 1 else queryset


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey]:
    return [field for field in model._meta.concrete_fields if isinstance(field, models.ForeignKey)]


def user_relations() -> list[UserRelation]:
    """Every model that holds rows about a user, with how to find them (see the module doc)."""
    user_model = get_user_model()
    every_model = [model for model in apps.get_models(include_auto_created=True) if model is not user_model]
    by_model: dict[type[models.Model], UserRelation] = {}
    # Owned parents: models whose rows go with their user (a cascading key), and their lookups.
    owned: dict[type[models.Model], str] = {}
    for model in every_model:
        keys = [field for field in _foreign_keys(model) if field.related_model is user_model]
        if not keys:
            continue
        by_model[model] = UserRelation(model=model, lookups=tuple(field.name for field in keys), direct=True)
        cascading = [field.name for field in keys if field.remote_field.on_delete is models.CASCADE]
        if cascading:
            owned[model] = cascading[0]
    frontier = dict(owned)
    reached = set(owned)
    for _ in range(MAX_OWNERSHIP_DEPTH - 1):
        found: dict[type[models.Model], str] = {}
        for model in every_model:
            if model in reached:
                continue
            for field in _foreign_keys(model):
                parent = field.related_model
                if (
                    isinstance(parent, type)
                    and parent in frontier
                    and field.remote_field.on_delete is models.CASCADE
                ):
                    found[model] = f"{field.name}__{frontier[parent]}"
                    break
        for model, lookup in found.items():
            known = by_model.get(model)
            if known is None:
                by_model[model] = UserRelation(model=model, lookups=(lookup,), direct=False)
            else:
                # A key to some user that does not own the row (a review item's `resolved_by`,
                # SET_NULL) must not hide the owner found through its parents (the listener whose
                # version it reviews): the row is found by either.
                by_model[model] = UserRelation(model=model, lookups=(*known.lookups, lookup), direct=True)
            reached.add(model)
        frontier = found
        if not frontier:
            break
    relations = list(by_model.values())
    return sorted(relations, key=lambda relation: relation.label)


# The model whose keys the export names, by label (a lookup in the registry: accounts sits below
# the catalog's consumers and needs only its label).
TRACK_MODEL_LABEL = "catalog.track"
TRACK_NAME_SEPARATOR = " — "
_TRACK_NAMES_CHUNK = 5000


def track_reference_fields(model: type[models.Model]) -> list[str]:
    """The model's foreign keys to catalog tracks, by field name."""
    return [
        field.name
        for field in _foreign_keys(model)
        if isinstance(field.related_model, type)
        and field.related_model._meta.label_lower == TRACK_MODEL_LABEL
    ]


def track_names(track_ids: Iterable[int]) -> dict[int, str]:
    """ "Title — Artist, Artist" per track id (just the title for a track without artists)."""
    track_model = apps.get_model(TRACK_MODEL_LABEL)
    ids = sorted(set(track_ids))
    names: dict[int, str] = {}
    for start in range(0, len(ids), _TRACK_NAMES_CHUNK):
        tracks = (
            track_model._default_manager.filter(pk__in=ids[start : start + _TRACK_NAMES_CHUNK])
            .only("pk", "title")
            .prefetch_related(
                models.Prefetch(
                    "track_artists",
                    queryset=apps.get_model("catalog.trackartist")
                    ._default_manager.select_related("artist")
                    .order_by("position"),
                )
            )
        )
        for track in tracks:
            artists = ", ".join(credit.artist.name for credit in track.track_artists.all())
            names[track.pk] = f"{track.title}{TRACK_NAME_SEPARATOR}{artists}" if artists else track.title
    return names


def name_track_references(rows: list[dict[str, Any]], model: type[models.Model]) -> None:
    """Add ``<field>_name`` beside each key to a track in serialized rows ({"fields": {...}})."""
    fields = [name for name in track_reference_fields(model) if f"{name}_name" not in _field_names(model)]
    if not fields or not rows:
        return
    names = track_names(row["fields"][name] for row in rows for name in fields if row["fields"].get(name))
    for row in rows:
        for name in fields:
            track_id = row["fields"].get(name)
            if track_id is not None:
                row["fields"][f"{name}_name"] = names.get(track_id, "")


def _field_names(model: type[models.Model]) -> set[str]:
    return {field.name for field in model._meta.get_fields()}
