"""The API's JSON parser: a body larger than API_JSON_MAX_BYTES is a 413, one nested deeper than
API_JSON_MAX_DEPTH a 400, both with a JSON message, before anything is decoded.

DRF's own parser hands any body to ``json.load``: a few hundred kilobytes of ``[[[[…`` raise
RecursionError (a 500), and nothing bounds the size it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from config.bounded_json import JSONTooDeep, json_depth_check


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class BoundedJSONParser(JSONParser):
    """JSONParser reading at most API_JSON_MAX_BYTES and refusing depth past API_JSON_MAX_DEPTH."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit: int = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestBodyTooLarge(f"The JSON body is larger than {limit:,} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            json_depth_check(raw, max_depth=settings.API_JSON_MAX_DEPTH)
            text = raw.decode(encoding)
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except JSONTooDeep as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except ValueError as error:  # undecodable bytes, invalid JSON, NaN or Infinity
            raise ParseError(f"JSON parse error - {error}") from error
