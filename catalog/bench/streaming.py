"""Stream start, measured over real HTTP on 127.0.0.1 (no Django): time to the first byte of a
track's audio and of a seek, beside the same file served as a plain static file in the same run.

The baseline is WhiteNoise serving the file from its folder (it answers Range requests too), on
the same WSGI server, so the ratio shows what Segue's stream view costs: the
session-less signed-link check, the database look-up of the file and the root check.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
from whitenoise import WhiteNoise  # type: ignore[import-untyped]

CHUNK_BYTES = 64 * 1024


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return


@contextmanager
def serving(app: Callable[..., Any]) -> Iterator[int]:
    """Serve a WSGI app on a free 127.0.0.1 port from one background thread; yields the port.

    One thread, as one worker of a production server: its database connection is reused from
    request to request (CONN_MAX_AGE), where a thread per request would open one each time.
    """
    server = make_server("127.0.0.1", 0, app, server_class=WSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


def static_app(folder: Path) -> WhiteNoise:
    """The baseline: the folder's files as static files under ``/static/``."""

    def not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return WhiteNoise(not_found, root=str(folder), prefix="static/", autorefresh=False)


@dataclass(frozen=True)
class Timing:
    """Milliseconds to the first body byte of a ranged GET, and whether the answer was right."""

    first_byte_ms: float
    status: int


def ranged_get(port: int, path: str, start: int) -> Timing:
    """One GET of ``CHUNK_BYTES`` from ``start`` on a fresh connection (as a player's seek does)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Range": f"bytes={start}-{start + CHUNK_BYTES - 1}"})
        response = connection.getresponse()
        response.read(1)
        elapsed = (time.perf_counter() - began) * 1000
        response.read()
        return Timing(first_byte_ms=elapsed, status=response.status)
    finally:
        connection.close()


@dataclass(frozen=True)
class Summary:
    name: str
    start_p50: float
    start_p95: float
    seek_p50: float
    seek_p95: float
    errors: int


def measure(name: str, port: int, path: str, *, size: int, requests: int, seed: int) -> Summary:
    """``requests`` starts (offset 0) and as many seeks (seeded offsets), interleaved."""
    rng = np.random.default_rng(seed)
    starts: list[float] = []
    seeks: list[float] = []
    errors = 0
    for _ in range(requests):
        for timings, offset in ((starts, 0), (seeks, int(rng.integers(0, max(1, size - CHUNK_BYTES))))):
            timing = ranged_get(port, path, offset)
            errors += timing.status != 206
            timings.append(timing.first_byte_ms)
    return Summary(
        name=name,
        start_p50=float(np.percentile(starts, 50)),
        start_p95=float(np.percentile(starts, 95)),
        seek_p50=float(np.percentile(seeks, 50)),
        seek_p95=float(np.percentile(seeks, 95)),
        errors=errors,
    )


def report_lines(segue: Summary, static: Summary) -> list[str]:
    lines = [
        f"{'served by':<14} {'start p50':>10} {'start p95':>10} "
        f"{'seek p50':>10} {'seek p95':>10} {'errors':>7}"
    ]
    for summary in (segue, static):
        lines.append(
            f"{summary.name:<14} {summary.start_p50:>8.2f}ms {summary.start_p95:>8.2f}ms "
            f"{summary.seek_p50:>8.2f}ms {summary.seek_p95:>8.2f}ms {summary.errors:>7}"
        )
    lines.append(
        f"ratio p95 (Segue / static): start {segue.start_p95 / static.start_p95:.2f}, "
        f"seek {segue.seek_p95 / static.seek_p95:.2f}"
    )
    return lines


def all_answered(segue: Summary, static: Summary) -> bool:
    """Every ranged GET got its 206 (the issue sets no time target: the figures are reported)."""
    return segue.errors == 0 and static.errors == 0
