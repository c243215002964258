"""OpenAPI helpers shared by every app's API: paginated list shapes, and the error answers every
operation can give, added to the schema in one place so schema and behaviour agree."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_SCHEMA_NAME = "Error"
# Answers any operation may give, whatever it declares: who may call (401/403), the request's
# size (413), the throttle (429), an Accept header no renderer satisfies (406), and a malformed
# request (400: a body that is not JSON, a parameter that is not a number).
COMMON_ERRORS = {
    "400": "Malformed request: `detail`, or field name → list of messages.",
    "401": "Not logged in, or the token is not valid.",
    "403": "Not allowed: the token lacks the scope, the role or a consent is missing.",
    "406": "The Accept header asks only for formats this operation cannot answer in.",
    "413": "The request body is larger than the limit.",
    "429": "Too many requests; wait a little.",
}
NOT_FOUND = "No such object (or not yours)."
# A body the API takes as JSON is documented as JSON only: DRF's form parsers cannot carry lists
# of objects (an event batch); uploads declare their own multipart parsers and keep them.
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def paginated(name: str, item: serializers.Serializer | type[serializers.Serializer]) -> Any:
    """The shape of DRF's PageNumberPagination around ``item``: count, next, previous, results."""
    child = item if isinstance(item, serializers.Serializer) else item()
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializers.ListSerializer(child=child),
        },
    )


def add_common_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the common error answers
    (and 404 where its path names an object), each with the ``{"detail": …}`` body."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        ERROR_SCHEMA_NAME,
        {"type": "object", "properties": {"detail": {"type": "string"}}, "additionalProperties": True},
    )
    reference = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                for media_type in FORM_MEDIA_TYPES:
                    body.pop(media_type, None)
            responses = operation["responses"]
            wanted = dict(COMMON_ERRORS)
            if "{" in path:
                wanted["404"] = NOT_FOUND
            for code, description in wanted.items():
                existing = responses.get(code)
                if existing is None:
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    }
                elif "content" not in existing:
                    existing["content"] = {"application/json": {"schema": reference}}
    return result


# --- operations grouped by app ---------------------------------------------------------------

# (module prefix of the view, tag, what the group is for); the longest matching prefix wins, so
# the editorial desk's experiments and monitoring form their own group wherever they live.
API_GROUPS: tuple[tuple[str, str, str], ...] = (
    (
        "accounts",
        "Account and privacy",
        "Your account, consents per purpose, personal access tokens, data export and erasure.",
    ),
    (
        "catalog",
        "Catalog",
        "Tracks, artists and tags; search by name or by meaning; imports, music libraries and "
        "media servers; streaming.",
    ),
    (
        "playlists",
        "Playlists",
        "Playlists from prompts: generate, follow a run, refine, schedule refreshes, export.",
    ),
    (
        "feedback",
        "Listening feedback",
        "Plays, skips and likes in batches; history imports; the taste profile learned from them.",
    ),
    (
        "editorial",
        "Editorial desk",
        "For curators: themes, pins, blocks and boosts, the review queue, editorial playlists, "
        "the audit log.",
    ),
    (
        "editorial.ops",
        "Experiments and monitoring",
        "For curators: A/B experiments between recommendation policies, drift and quality monitoring.",
    ),
    (
        "editorial.experiments",
        "Experiments and monitoring",
        "For curators: A/B experiments between recommendation policies, drift and quality monitoring.",
    ),
)
OTHER_GROUP = ("Other", "Operations outside the apps above.")


def _group_for_module(module: str) -> tuple[str, str]:
    best: tuple[str, str, str] | None = None
    for prefix, name, description in API_GROUPS:
        matches = module == prefix or module.startswith(prefix + ".") or module.startswith(prefix + "_")
        if matches and (best is None or len(prefix) > len(best[0])):
            best = (prefix, name, description)
    return (best[1], best[2]) if best else OTHER_GROUP


def _view_module(callback: Any) -> str:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return str(getattr(view_class or callback, "__module__", ""))


def group_operations_by_app(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: each operation is tagged with its app's group (from
    the module of the view that serves it), and the groups are listed with their descriptions,
    in the order of ``API_GROUPS``."""
    group_by_operation = {
        (path, method.lower()): _group_for_module(_view_module(callback))
        for path, _, method, callback in (getattr(generator, "endpoints", None) or [])
    }
    used: dict[str, str] = {}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            name, description = group_by_operation.get((path, method), OTHER_GROUP)
            operation["tags"] = [name]
            used[name] = description
    order = [name for _, name, _ in API_GROUPS] + [OTHER_GROUP[0]]
    result["tags"] = [{"name": name, "description": used[name]} for name in sorted(used, key=order.index)]
    return result
