"""Schemathesis over every operation of the OpenAPI schema, as a listener, a curator and staff,
with real object ids: the API answers what its schema says (status codes, content types,
bodies) and never a server error.

Every check runs, positive_data_acceptance and negative_data_rejection included: a rule no schema
can state is a documented answer of its operation (RULES_NO_SCHEMA_STATES), and the one operation
that reads leniently on purpose says why (LENIENT_OPERATIONS).

Bounded: MAX_EXAMPLES derandomized examples per operation and role (Hypothesis' seed is fixed by
``derandomize``). Every example runs in the test's one
transaction; Celery tasks are never enqueued (``delay_on_commit`` waits for a commit that
never comes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import ChecksConfig, SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from accounts.exports import data_export_request
from accounts.models import Role, TokenScope, User
from accounts.services import token_create
from config.api_schema import COMMON_ERRORS, NOT_FOUND
from config.wsgi import application
from editorial import services as editorial_services
from editorial.experiments import services as experiment_services
from editorial.models import QueueReason, ReviewItem
from feedback import services as feedback_services
from tests.catalog.factories import TrackFactory
from tests.conftest import consenting_user
from tests.playlists.factories import playlist_make, version_make

MAX_EXAMPLES = 10

# Rules no schema can state, so a schema-valid request may still be refused: per operation, the
# answers it documents for them (each is in the schema with its own description, checked below)
# and positive_data_acceptance takes them as expected for that operation only.
RULES_NO_SCHEMA_STATES: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/api/account/delete/"): {400: "the password must be the right one"},
    ("POST", "/api/catalog/imports/"): {400: "the file must be a readable catalog of a known format"},
    ("POST", "/api/catalog/libraries/"): {400: "the root must be an absolute, readable folder"},
    ("POST", "/api/editorial/blocks/"): {400: "a track or an artist, not both and not neither"},
    ("POST", "/api/editorial/reports/"): {400: "the track must be in the playlist"},
    ("POST", "/api/editorial/queue/{item_id}/decisions/"): {400: "the track must be in the playlist"},
    ("POST", "/api/editorial/queue/{item_id}/resolve/"): {400: "only an open review item is closed"},
    ("POST", "/api/editorial/themes/"): {400: "a name of visible characters, not taken yet"},
    ("PUT", "/api/editorial/themes/{theme_id}/"): {400: "a name of visible characters, not taken yet"},
    ("POST", "/api/editorial/themes/{theme_id}/pins/"): {400: "the track must be in the catalog"},
    ("POST", "/api/feedback/history-imports/"): {400: "the file must be a readable history"},
    ("POST", "/api/feedback/taste/exclusions/"): {400: "exactly one of track, artist or window"},
    ("POST", "/api/playlists/"): {400: "a size or a duration, not both"},
    ("POST", "/api/playlists/{playlist_id}/intent/"): {400: "the intent must be one the app can read"},
    ("POST", "/api/playlists/{playlist_id}/refine/"): {400: "the change must say something"},
    ("POST", "/api/playlists/{playlist_id}/versions/{number}/retry/"): {400: "only a failed version"},
    ("GET", "/api/privacy/exports/{export_id}/download/"): {410: "only a ready export downloads"},
    ("POST", "/api/tokens/"): {400: "at most so many active tokens per account"},
    ("GET", "/api/tracks/"): {400: "year_from must not pass year_to"},
    ("GET", "/api/tracks/search/"): {400: "year_from must not pass year_to"},
    ("POST", "/desk/ops/api/experiments/"): {400: "known policies and weights, unique variant names"},
    ("POST", "/desk/ops/api/experiments/{experiment_id}/start/"): {400: "only a draft starts"},
    ("POST", "/desk/ops/api/experiments/{experiment_id}/stop/"): {400: "only a running one stops"},
}
# The one operation that reads leniently on purpose: an event batch stores its valid events and
# answers 200 with a message per refused event (a player must not lose a whole batch to one bad
# event), so a batch with a malformed event is accepted, not rejected.
LENIENT_OPERATIONS: dict[tuple[str, str], str] = {
    ("POST", "/api/feedback/events/"): "valid events are stored, each bad one reported in `errors`",
}


def _raw_schema() -> dict[str, Any]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(generated, cls=DjangoJSONEncoder))


RAW_SCHEMA = _raw_schema()


def _operation_config(method: str, path: str, check: str, statuses: list[str]) -> dict[str, Any]:
    # By operation id: separate method and path filters would each match on their own.
    return {
        "include-operation-id": RAW_SCHEMA["paths"][path][method.lower()]["operationId"],
        "checks": {check: {"expected-statuses": statuses}},
    }


def _config() -> SchemathesisConfig:
    defaults = ChecksConfig()
    positive = defaults.positive_data_acceptance.expected_statuses
    negative = defaults.negative_data_rejection.expected_statuses
    operations = [
        _operation_config(method, path, "positive_data_acceptance", [*positive, *map(str, rules)])
        for (method, path), rules in RULES_NO_SCHEMA_STATES.items()
    ] + [
        _operation_config(method, path, "negative_data_rejection", [*negative, "200"])
        for method, path in LENIENT_OPERATIONS
    ]
    # No NUL in generated text: PostgreSQL cannot store it, so every text field refuses it with a
    # 400 (tests/config/test_contract_drift.py), a rule of the database rather than of the schema.
    return SchemathesisConfig.from_dict({"generation": {"allow-x00": False}, "operations": operations})


schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=_config())
schema.app = application
schema.location = "/api/schema/"


def _world(role: str) -> dict[str, Any]:
    """A caller of ``role`` with an all-scopes token and one object of every kind it may reach."""
    caller = consenting_user(
        f"{role}@contract.example", {"listener": Role.LISTENER, "curator": Role.CURATOR}.get(role, Role.STAFF)
    )
    curator = caller if role != "listener" else consenting_user("desk@contract.example", Role.CURATOR)
    tracks = [TrackFactory() for _ in range(3)]
    playlist = playlist_make(owner=caller)
    version = version_make(playlist, tracks=tracks, intent={"semantic_text": "jazz"})
    theme = editorial_services.theme_create(actor=curator, name=f"Theme {role}", description="calm jazz")
    pin = editorial_services.pin_create(actor=curator, theme=theme, track_id=tracks[0].pk)
    block = editorial_services.block_create(actor=curator, reason="a test", track_id=tracks[1].pk)
    item = ReviewItem.objects.create(version=version, reason=QueueReason.REPORT)
    experiment = experiment_services.experiment_create(
        name=f"Experiment {role}",
        created_by=curator,
        variants=[{"name": "A", "traffic": 50}, {"name": "B", "traffic": 50}],
    )
    exclusion = feedback_services.taste_exclusion_add(user=caller, track_id=tracks[2].pk)
    _, raw = token_create(user=caller, name="contract", scopes=TokenScope.values)
    spare, _ = token_create(user=caller, name="spare", scopes=[TokenScope.READ])
    ids = {
        "playlist_id": playlist.pk,
        "number": version.number,
        "export_format": "m3u8",
        "track_id": tracks[0].pk,
        "theme_id": theme.pk,
        "pin_id": pin.pk,
        "block_id": block.pk,
        "item_id": item.pk,
        "experiment_id": experiment.pk,
        "exclusion_id": exclusion.pk,
        "token_id": spare.pk,
        "export_id": data_export_request(user=caller).pk,
    }
    return {"user": caller, "token": raw, "ids": ids}


@pytest.fixture
def world(request: pytest.FixtureRequest, db: None) -> Iterator[dict[str, Any]]:
    # As Django's test client does: the requests run inside the test's transaction, so the end of
    # a request must not close the database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield _world(request.param)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("world", ["listener", "curator", "staff"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_schema_says(case: Any, world: dict[str, Any]) -> None:
    # Real ids in place of generated ones, unless the case breaks the path on purpose (a text id).
    if case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
        for name in case.path_parameters:
            if name in world["ids"]:
                case.path_parameters[name] = world["ids"][name]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world['token']}"},
    )


def test_the_contract_covers_every_operation() -> None:
    operations = list(schema.get_all_operations())
    assert len(operations) >= 70
    assert all(result.ok() for result in operations)
    assert User  # the fixtures make real users of every role


def test_every_rule_the_schema_cannot_state_is_a_documented_answer() -> None:
    common = {*COMMON_ERRORS.values(), NOT_FOUND}
    for (method, path), rules in RULES_NO_SCHEMA_STATES.items():
        responses = RAW_SCHEMA["paths"][path][method.lower()]["responses"]
        for code in rules:
            assert str(code) in responses, f"{method} {path} does not document {code}"
            assert responses[str(code)]["description"] not in common, (
                f"{method} {path}: say which rule {code} answers"
            )


def test_every_operation_has_a_summary_and_a_description() -> None:
    undescribed = [
        f"{method.upper()} {path}"
        for path, operations in RAW_SCHEMA["paths"].items()
        for method, operation in operations.items()
        if not operation.get("summary") or not operation.get("description")
    ]

    assert undescribed == []
