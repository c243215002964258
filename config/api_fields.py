"""Serializer fields that read JSON as strictly as the OpenAPI schema states it.

DRF reads leniently: a number where text is expected becomes text, and 0/1 or "true" are
booleans. Where the schema says string or boolean, JSON must send a string or true/false. Form
posts (every value a string) read as before.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty


class StrictCharField(serializers.CharField):
    """Text only: a JSON number or boolean is "Not a valid string.". ``max_length`` counts the text
    as sent, as the schema's maxLength does (DRF counts it after trimming surrounding spaces)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


def _reads_a_form(field: serializers.Field) -> bool:
    """Whether the serializer reads a form post (every value a string) rather than JSON."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictBooleanField(serializers.BooleanField):
    """true or false in JSON (a string such as "true" only in a form); required in a form too: DRF
    reads a missing form boolean as false (an unticked checkbox), which would be a silent answer."""

    default_empty_html = empty

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if not (isinstance(data, str) and _reads_a_form(self)):
            self.fail("invalid", input=data)
        return bool(super().to_internal_value(data))
