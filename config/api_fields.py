"""Serializer fields that read JSON as strictly as the OpenAPI schema states it.

DRF reads leniently: a number where text is expected becomes text, and 0/1 are booleans. Where
the schema says string or boolean, a JSON number is refused. Form posts (every value a string)
read as before.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty


class StrictCharField(serializers.CharField):
    """Text only: a JSON number or boolean is "Not a valid string."."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false in JSON ("true"/"false" and the like in a form); required in a form too: DRF
    reads a missing form boolean as false (an unticked checkbox), which would be a silent answer."""

    default_empty_html = empty

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool | str):
            self.fail("invalid", input=data)
        return bool(super().to_internal_value(data))
