"""JSON and compressed input read within fixed bounds of depth and size (no Django imports).

Python's ``json`` recurses once per nesting level and ijson's item builder keeps a prefix string
per level, so a small document of deeply nested arrays can exhaust the stack or the memory of the
process reading it. Every parser of input from outside checks the depth first, on the raw bytes:
escapes dropped, then everything but quotes and brackets (``bytes.translate``, in C), and what
is left counted with numpy, brackets inside strings ignored. No Python object is
built per character; an event batch of 500 costs well under a millisecond.
"""

from __future__ import annotations

import io
import json
from typing import IO, Any

import numpy as np

# Deep enough for any document we accept (an event batch, a history row, a catalog record nest
# 2 to 4 levels), shallow enough that no parser or serializer downstream nears the recursion limit.
MAX_DEPTH = 32

# bytes.translate's deletion table: every byte but the quote and the four brackets.
_NOT_STRUCTURE = bytes(code for code in range(256) if code not in b'"[]{}')
_QUOTE = ord('"')
_STEPS = np.zeros(256, dtype=np.int8)
_STEPS[list(b"[{")] = 1
_STEPS[list(b"]}")] = -1


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than allowed."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"JSON nested {depth:,} levels deep; at most {limit} are accepted.")
        self.depth, self.limit = depth, limit


class InflatedTooLarge(ValueError):
    """Compressed input that inflates beyond its size or ratio limit."""


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings ignored)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    # In JSON a backslash only ever starts a two-character escape inside a string: dropping \\
    # pairs first, then \" pairs, leaves every remaining quote a string delimiter.
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    codes = np.frombuffer(unescaped.translate(None, _NOT_STRUCTURE), dtype=np.uint8)
    if not codes.size:
        return 0
    # A bracket after an odd number of quotes is inside a string (an unterminated string's
    # brackets are never parsed either: the parser stops at the string).
    inside_string = (np.cumsum(codes == _QUOTE, dtype=np.int64) & 1).astype(bool)
    steps = np.where(inside_string, 0, _STEPS[codes])
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def json_depth_check(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise JSONTooDeep when ``data`` nests deeper than ``max_depth`` (cheap when it cannot)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return
    depth = json_depth(raw)
    if depth > max_depth:
        raise JSONTooDeep(depth, max_depth)


def json_loads_bounded(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` after the depth check; raises JSONTooDeep or json.JSONDecodeError."""
    json_depth_check(data, max_depth=max_depth)
    return json.loads(data)


class LimitedReader(io.RawIOBase):
    """A binary stream that raises InflatedTooLarge once more than ``limit`` bytes were read.

    Wraps a decompressing stream (gzip, a ZIP member) so that what it inflates to is bounded
    whatever its headers claim.
    """

    def __init__(self, raw: IO[bytes], *, limit: int, what: str) -> None:
        self.raw, self.limit, self.what = raw, limit, what
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.bytes_read += len(data)
        if self.bytes_read > self.limit:
            raise InflatedTooLarge(f"{self.what} inflates to more than {self.limit:,} bytes; refused.")
        buffer[: len(data)] = data
        return len(data)
