"""OpenAPI helpers shared by every app's API: paginated list shapes, and the error answers every
operation can give, added to the schema in one place so schema and behaviour agree."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_SCHEMA_NAME = "Error"
# Answers any operation may give, whatever it declares: who may call (401/403), the request's
# size (413), the throttle (429), and a malformed request (400: a body that is not JSON, a
# parameter that is not a number).
COMMON_ERRORS = {
    "400": "Malformed request: `detail`, or field name → list of messages.",
    "401": "Not logged in, or the token is not valid.",
    "403": "Not allowed: the token lacks the scope, the role or a consent is missing.",
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
