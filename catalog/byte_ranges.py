"""HTTP ``Range: bytes=…`` parsing (RFC 9110 §14), for serving audio (no Django imports).

Only single ranges are honoured: browsers' media elements ask for one range at a time, and a
server may always answer a multi-range request with the whole representation (200).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` of a representation, both inclusive (as in ``Content-Range``)."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeNotSatisfiable(Exception):
    """The header asks for bytes the representation does not have, or cannot be read: HTTP 416."""


def byte_range_parse(header: str | None, size: int) -> ByteRange | None:
    """The one range a ``Range`` header asks of a ``size``-byte file; ``None`` means send it all.

    ``None`` for no header, another unit than bytes, or several ranges (all ignorable). Raises
    ``RangeNotSatisfiable`` for a malformed bytes range, a start at or past the end, or an empty
    suffix (``bytes=-0``). An end past the last byte is cut to it; ``bytes=-N`` is the last N
    bytes (the whole file when N is larger), ``bytes=N-`` runs to the end.
    """
    if not header:
        return None
    unit, separator, specs = header.partition("=")
    if not separator or unit.strip().lower() != "bytes":
        return None
    if "," in specs:
        return None
    match = _SPEC.match(specs)
    if match is None:
        raise RangeNotSatisfiable(f"Malformed range {header[:60]!r}.")
    first, last = match.groups()
    if not first and not last:
        raise RangeNotSatisfiable("A range needs a start or a suffix length.")
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable("An empty suffix range.")
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if end < start:
        raise RangeNotSatisfiable(f"The range ends before it starts ({start}-{end}).")
    if start >= size:
        raise RangeNotSatisfiable(f"The range starts at byte {start}; the file has {size}.")
    return ByteRange(start, min(end, size - 1))
