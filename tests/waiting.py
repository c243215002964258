"""Waiting for a real worker in tests."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], *, timeout: float = 90.0) -> None:
    """Poll ``condition`` until it holds; fail the test if the worker takes longer than ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.2)
